using Builder.Engine;
using Builder.Snapshotter;
using Builder.Solver.Definition;
using Builder.Solver.Failures;
using Builder.Solver.Logs;
using Builder.Solver.Progress;

namespace Builder.Solver.Execution;

/// <summary>Everything a runner needs for one vertex of one build.</summary>
internal sealed class StepContext
{
    public required DataRoot Root { get; init; }

    public required IExecutor Executor { get; init; }

    public required SolveOptions Options { get; init; }

    public required Vertex Vertex { get; init; }

    public required IReadOnlyList<VertexResult> Inputs { get; init; }

    public required string BuildId { get; init; }

    public required FailedSteps Failures { get; init; }

    public required CacheMounts CacheMounts { get; init; }

    /// <summary>Opens the step's log (created on first use by a runner that runs a process).</summary>
    public required Func<StepLog> OpenLog { get; init; }

    public required Action<string> Warn { get; init; }

    /// <summary>A failure report for this vertex with its Dockerfile lines filled in.</summary>
    public StepFailure Failure(string message)
    {
        var d = Vertex.Description;
        var lines = Options.SourceLines;
        var source = d.StartLine > 0 && d.EndLine >= d.StartLine && d.EndLine <= lines.Count
            ? lines.Skip(d.StartLine - 1).Take(d.EndLine - d.StartLine + 1).ToArray()
            : [];
        return new StepFailure(message)
        {
            SourceFile = d.StartLine > 0 ? Options.SourceFile : null,
            StartLine = d.StartLine,
            EndLine = d.EndLine,
            SourceLines = source,
        };
    }
}

/// <summary>A step failed; <see cref="Failure"/> says how, for the user.</summary>
public sealed class StepFailedException(string vertexName, StepFailure failure, Exception? inner = null)
    : Exception(failure.Message, inner)
{
    public string VertexName { get; } = vertexName;

    public StepFailure Failure { get; } = failure;
}
