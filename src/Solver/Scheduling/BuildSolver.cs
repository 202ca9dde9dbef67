using System.Collections.Concurrent;
using Builder.Engine;
using Builder.Snapshotter;
using Builder.Solver.Cache;
using Builder.Solver.Definition;
using Builder.Solver.Execution;
using Builder.Solver.Failures;
using Builder.Solver.Progress;

namespace Builder.Solver.Scheduling;

/// <summary>
/// Runs build definitions against one data root. One instance serves every build of a process:
/// identical work (same cache key) requested by concurrent builds runs once and all of them get
/// its result.
/// </summary>
public sealed class BuildSolver
{
    private readonly ConcurrentDictionary<string, Task<string>> _inFlight = new();

    public BuildSolver(DataRoot root, IExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(executor);
        Root = root;
        Executor = executor;
        Cache = new CacheRecords(root);
        Failures = new FailedSteps(root);
        CacheMounts = new CacheMounts(root);
        History = new History.BuildHistory(root);
    }

    public DataRoot Root { get; }

    public CacheRecords Cache { get; }

    public FailedSteps Failures { get; }

    /// <summary>Every build's steps, for <c>builder history</c>.</summary>
    public History.BuildHistory History { get; }

    internal IExecutor Executor { get; }

    internal CacheMounts CacheMounts { get; }

    /// <summary>
    /// Solves <paramref name="definition"/>: every vertex the root needs, inputs first, independent
    /// ones in parallel. Throws <see cref="StepFailedException"/> for the first step that failed
    /// (the others are cancelled) and <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    /// <remarks>A null <paramref name="definition"/> is a target without any filesystem (FROM scratch with config only): nothing runs.</remarks>
    public Task<SolveResult> SolveAsync(BuildDefinition? definition, SolveOptions options, IProgressSink progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        if (options.Parallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Parallelism, "Parallelism must be at least 1");
        }
        return new SolveSession(this, options, progress, cancellationToken).RunAsync(definition?.Root);
    }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="cacheKey"/> unless the same key is already
    /// running, in which case the caller waits for that run (and RanHere is false). A run cancelled by its own build is
    /// retried by a waiter whose build goes on.
    /// </summary>
    internal async Task<(string Result, bool RanHere)> RunOnceAsync(string cacheKey, Func<Task<string>> work, CancellationToken cancellationToken)
    {
        while (true)
        {
            var mine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = _inFlight.GetOrAdd(cacheKey, mine.Task);
            if (running != mine.Task)
            {
                try
                {
                    return (await running.WaitAsync(cancellationToken).ConfigureAwait(false), false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue; // the other build was cancelled; this one still wants the result
                }
            }
            try
            {
                var result = await work().ConfigureAwait(false);
                mine.SetResult(result);
                return (result, true);
            }
            catch (OperationCanceledException e)
            {
                mine.SetCanceled(e.CancellationToken);
                throw;
            }
            catch (Exception e)
            {
                mine.SetException(e);
                throw;
            }
            finally
            {
                _inFlight.TryRemove(new KeyValuePair<string, Task<string>>(cacheKey, mine.Task));
            }
        }
    }
}
