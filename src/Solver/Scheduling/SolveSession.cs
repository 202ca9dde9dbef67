using System.Collections.Concurrent;
using System.Diagnostics;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Solver.Cache;
using Builder.Solver.Definition;
using Builder.Solver.Execution;
using Builder.Solver.History;
using Builder.Solver.Logs;
using Builder.Solver.Progress;

namespace Builder.Solver.Scheduling;

/// <summary>
/// One build: memoizes each vertex's result by digest, bounds how many ops run at once, numbers
/// vertices for progress, and stops everything at the first failure.
/// </summary>
internal sealed class SolveSession
{
    private readonly BuildSolver _solver;
    private readonly SolveOptions _options;
    private readonly IProgressSink _progress;
    private readonly CancellationTokenSource _cancel;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Lazy<Task<VertexResult>>> _results = new();
    private readonly ConcurrentDictionary<string, int> _numbers = new();
    private readonly string _buildId;
    private int _nextNumber;
    private int _ran;
    private int _cached;
    private int _failed;

    public SolveSession(BuildSolver solver, SolveOptions options, IProgressSink progress, CancellationToken cancellationToken)
    {
        _solver = solver;
        _options = options;
        _progress = progress;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _slots = new SemaphoreSlim(options.Parallelism);
        _buildId = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
    }

    /// <param name="root">The target's vertex; null for a target with no filesystem at all (FROM scratch and config only).</param>
    public async Task<SolveResult> RunAsync(Vertex? root)
    {
        _solver.History.Start(_buildId, _options.SourceFile);
        var status = "failed";
        try
        {
            var result = root is null ? new VertexResult(CacheKey.ForSource("scratch"), null) : await Solve(root).ConfigureAwait(false);
            status = "solved";
            return new SolveResult(_buildId, result.Snapshot, LayerChain(result.Snapshot), new SolveStatistics(_ran, _cached), Volatile.Read(ref _nextNumber));
        }
        catch (OperationCanceledException) when (!_cancel.IsCancellationRequested || _failed == 0)
        {
            status = "canceled";
            throw;
        }
        finally
        {
            _solver.History.Finish(_buildId, status);
            _cancel.Dispose();
        }
    }

    private Task<VertexResult> Solve(Vertex vertex) =>
        _results.GetOrAdd(vertex.Digest, _ => new Lazy<Task<VertexResult>>(() => Task.Run(() => SolveVertexAsync(vertex)))).Value;

    private async Task<VertexResult> SolveVertexAsync(Vertex vertex)
    {
        var inputs = await Task.WhenAll(vertex.Inputs.Select(i => Solve(i.Vertex))).ConfigureAwait(false);
        _cancel.Token.ThrowIfCancellationRequested();
        if (vertex.Op is SourceOp source)
        {
            return await SolveSourceAsync(vertex, source).ConfigureAwait(false);
        }
        var step = NewStep(vertex, inputs);
        string key;
        try
        {
            await WaitForLocalContentAsync(step).ConfigureAwait(false);
            key = CacheKey.Compute(KeyedOp(vertex.Op), inputs.Select(i => i.CacheKey).ToArray(), ContentChecksums(step));
        }
        catch (StepFailedException e)
        {
            Fail(vertex, e, TimeSpan.Zero);
            throw;
        }
        if (!_options.NoCache && !vertex.Description.IgnoreCache && _solver.Cache.Find(key) is { } hit)
        {
            Interlocked.Increment(ref _cached);
            Report(vertex, VertexState.Cached, snapshot: hit);
            return new VertexResult(key, hit);
        }
        var (snapshot, ranHere) = await RunAsync(vertex, () => _solver.RunOnceAsync(key, async () =>
        {
            var committed = await RunOpAsync(step).ConfigureAwait(false);
            _solver.Cache.Add(key, committed);
            return committed;
        }, _cancel.Token), r => r.Result).ConfigureAwait(false);
        Interlocked.Increment(ref ranHere ? ref _ran : ref _cached);
        return new VertexResult(key, snapshot);
    }

    private async Task<string> RunOpAsync(StepContext step)
    {
        var token = _cancel.Token;
        return step.Vertex.Op switch
        {
            ExecOp exec => await ExecRunner.RunAsync(step, exec with { Network = EffectiveNetwork(exec) }, token).ConfigureAwait(false),
            FileOp file => FileRunner.Run(step, file, token),
            MergeOp => MergeRunner.Run(step, token),
            var op => throw new InvalidOperationException($"op kind '{op.Kind}' cannot run"),
        };
    }

    /// <summary>Runs one vertex's work in a slot, reporting its state; the first failure cancels the build.</summary>
    /// <param name="quiet">Report only a failure or cancellation; the caller reports success itself.</param>
    private async Task<T> RunAsync<T>(Vertex vertex, Func<Task<T>> work, Func<T, string?>? snapshotOf = null, bool quiet = false)
    {
        await _slots.WaitAsync(_cancel.Token).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        try
        {
            if (!quiet)
            {
                Report(vertex, VertexState.Running);
            }
            var result = await work().ConfigureAwait(false);
            if (!quiet)
            {
                Report(vertex, VertexState.Done, clock.Elapsed, snapshot: snapshotOf?.Invoke(result));
            }
            return result;
        }
        catch (StepFailedException e)
        {
            Fail(vertex, e, clock.Elapsed);
            throw;
        }
        catch (OperationCanceledException)
        {
            Report(vertex, VertexState.Canceled, clock.Elapsed);
            throw;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or InvalidDataException or HttpRequestException or KeyNotFoundException or ArgumentException)
        {
            var failed = new StepFailedException(vertex.Description.Name, NewStep(vertex, []).Failure(e.Message), e);
            Fail(vertex, failed, clock.Elapsed);
            throw failed;
        }
        finally
        {
            _slots.Release();
        }
    }

    private void Fail(Vertex vertex, StepFailedException e, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _failed);
        Report(vertex, VertexState.Failed, elapsed, e.Failure);
        _cancel.Cancel();
    }

    private async Task<VertexResult> SolveSourceAsync(Vertex vertex, SourceOp source)
    {
        switch (source.Source)
        {
            case SourceKind.Scratch:
                return new VertexResult(CacheKey.ForSource("scratch"), null);
            case SourceKind.Local:
            {
                if (!_options.LocalDirs.TryGetValue(source.Identifier, out var directory))
                {
                    var e = new StepFailedException(vertex.Description.Name, NewStep(vertex, []).Failure($"local source \"{source.Identifier}\" was not provided to the build"));
                    Fail(vertex, e, TimeSpan.Zero);
                    throw e;
                }
                var excludes = source.Attributes.GetValueOrDefault(SourceOp.Attr.Exclude) is { Length: > 0 } text ? text.Split('\n') : [];
                Report(vertex, VertexState.Running);
                Report(vertex, VertexState.Done, TimeSpan.Zero);
                return VertexResult.Local(CacheKey.ForSource("local\n" + source.Identifier + "\n" + string.Join("\n", excludes)), directory, excludes);
            }
            case SourceKind.Image:
            {
                // The frontend already asked for the image (memoized): an image the store had is CACHED, as in BuildKit.
                var (result, fetched) = await RunAsync(vertex, () => ResolveImageAsync(vertex, source), r => r.Result.Snapshot, quiet: true).ConfigureAwait(false);
                if (fetched)
                {
                    Report(vertex, VertexState.Running);
                    Report(vertex, VertexState.Done, TimeSpan.Zero, snapshot: result.Snapshot);
                }
                else
                {
                    Report(vertex, VertexState.Cached, snapshot: result.Snapshot);
                }
                return result;
            }
            case SourceKind.Http:
                return await RunAsync(vertex, () => HttpSourceRunner.RunAsync(NewStep(vertex, []), source, _cancel.Token), r => r.Snapshot).ConfigureAwait(false);
            default:
                var failure = new StepFailedException(vertex.Description.Name, NewStep(vertex, []).Failure($"{source.Source.ToString().ToLowerInvariant()} sources are not supported yet ({source.Identifier})"));
                Fail(vertex, failure, TimeSpan.Zero);
                throw failure;
        }
    }

    private async Task<(VertexResult Result, bool Fetched)> ResolveImageAsync(Vertex vertex, SourceOp source)
    {
        var images = _options.Images ?? throw new StepFailedException(vertex.Description.Name, NewStep(vertex, []).Failure("this build has no image source configured"));
        if (!ImageReference.TryParse(source.Identifier, out var reference, out var error))
        {
            throw new StepFailedException(vertex.Description.Name, NewStep(vertex, []).Failure($"{source.Identifier}: {error}"));
        }
        var platform = source.Attributes.GetValueOrDefault(SourceOp.Attr.Platform) is { } p ? Platform.Parse(p) : _options.Platform;
        var image = await images.GetAsync(reference, platform, _options.PullPolicy, Warn, _cancel.Token).ConfigureAwait(false);
        return (new VertexResult(CacheKey.ForSource("image\n" + image.ManifestDigest), image.TopSnapshot), image.Fetched);
    }

    /// <summary>
    /// Waits until the local content an op reads (the same paths <see cref="ContentChecksums"/> hashes) has
    /// arrived; at once unless the build has an <see cref="SolveOptions.ContextAvailability"/>.
    /// </summary>
    private async Task WaitForLocalContentAsync(StepContext step)
    {
        if (_options.ContextAvailability is not { } availability)
        {
            return;
        }
        IEnumerable<(VertexResult Input, string Path)> reads = step.Vertex.Op switch
        {
            FileOp file => file.Actions.OfType<CopyAction>().Select(c => (Input: step.Inputs[c.SourceInput], Path: c.Source)),
            ExecOp exec => exec.Mounts.Where(m => m.Type == MountType.Bind && m.Input >= 0).Select(m => (Input: step.Inputs[m.Input], Path: m.Source.Trim('/') is { Length: > 0 } p ? p : ".")),
            _ => [],
        };
        foreach (var group in reads.Where(r => r.Input.HostDirectory is not null).GroupBy(r => r.Input.HostDirectory!, StringComparer.Ordinal))
        {
            await availability.WaitAsync(group.Key, group.Select(r => r.Path).ToArray(), _cancel.Token).ConfigureAwait(false);
        }
    }

    /// <summary>Checksums of the local content an op reads: COPY sources and RUN bind mounts of a context.</summary>
    private IReadOnlyList<string> ContentChecksums(StepContext step)
    {
        var checksums = new List<string>();
        var checksumCache = _solver.Root.Checksums;
        switch (step.Vertex.Op)
        {
            case FileOp file:
                foreach (var copy in file.Actions.OfType<CopyAction>())
                {
                    var input = step.Inputs[copy.SourceInput];
                    if (input.HostDirectory is { } dir)
                    {
                        try
                        {
                            checksums.Add(checksumCache.ContextChecksum(dir, [copy.Source], input.HostExcludes).ToString());
                        }
                        catch (FileNotFoundException e)
                        {
                            throw new StepFailedException(step.Vertex.Description.Name, step.Failure(FileRunner.Explain(step, copy, e)), e);
                        }
                    }
                }
                break;
            case ExecOp exec:
                foreach (var mount in exec.Mounts.Where(m => m.Type == MountType.Bind && m.Input >= 0))
                {
                    var input = step.Inputs[mount.Input];
                    if (input.HostDirectory is { } dir)
                    {
                        var path = mount.Source.Trim('/');
                        checksums.Add(checksumCache.ContextChecksum(dir, [path.Length == 0 ? "." : path], input.HostExcludes).ToString());
                    }
                }
                break;
        }
        return checksums;
    }

    private Op KeyedOp(Op op) => op is ExecOp exec ? exec with { Network = EffectiveNetwork(exec) } : op;

    private NetworkMode EffectiveNetwork(ExecOp exec) => exec.Network == NetworkMode.Default ? _options.DefaultNetwork : exec.Network;

    private StepContext NewStep(Vertex vertex, IReadOnlyList<VertexResult> inputs) => new()
    {
        Root = _solver.Root,
        Executor = _solver.Executor,
        Options = _options,
        Vertex = vertex,
        Inputs = inputs,
        BuildId = _buildId,
        Failures = _solver.Failures,
        CacheMounts = _solver.CacheMounts,
        Warn = Warn,
        OpenLog = () => OpenLog(vertex),
    };

    private StepLog OpenLog(Vertex vertex)
    {
        var number = NumberOf(vertex);
        var started = Stopwatch.StartNew();
        var path = Path.Combine(_solver.Root.Path, "logs", _buildId, number.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".log");
        return new StepLog(path, data => _progress.Report(new VertexLog(DateTimeOffset.UtcNow, vertex.Digest, number, LogStream.Stdout, data, started.Elapsed)));
    }

    private void Warn(string message) => _progress.Report(new BuildMessage(DateTimeOffset.UtcNow, MessageLevel.Warning, message));

    private int NumberOf(Vertex vertex) => _numbers.GetOrAdd(vertex.Digest, _ => Interlocked.Increment(ref _nextNumber));

    private void Report(Vertex vertex, VertexState state, TimeSpan? duration = null, StepFailure? failure = null, string? snapshot = null)
    {
        var number = NumberOf(vertex);
        _progress.Report(new VertexStatus(DateTimeOffset.UtcNow, vertex.Digest, number, vertex.Description.Name, state, duration, failure));
        if (state != VertexState.Running)
        {
            _solver.History.Step(_buildId, new BuildStepRecord(number, vertex.Description.Name, state, duration, snapshot, failure?.KeptStateId));
        }
    }

    /// <summary>The committed snapshots from the base layer up to <paramref name="top"/>.</summary>
    private List<string> LayerChain(string? top)
    {
        var chain = new List<string>();
        for (var key = top; key is not null; key = _solver.Root.Snapshots.Stat(key).Parent)
        {
            chain.Add(key);
        }
        chain.Reverse();
        return chain;
    }
}
