namespace Builder.Solver.Progress;

/// <summary>
/// Receives what a build is doing, in order per vertex. Implementations must be thread-safe
/// (vertices run in parallel) and must not block: a slow terminal never slows a build.
/// </summary>
public interface IProgressSink
{
    void Report(ProgressEvent progress);
}

/// <summary>Something that happened during a build, stamped with when it happened.</summary>
public abstract record ProgressEvent(DateTimeOffset Time);

/// <summary>What state a vertex is in; every vertex reaches exactly one of the final states.</summary>
public enum VertexState
{
    /// <summary>Started running; more events follow.</summary>
    Running,
    /// <summary>Final: satisfied from the cache, nothing ran.</summary>
    Cached,
    /// <summary>Final: ran and succeeded.</summary>
    Done,
    /// <summary>Final: ran and failed; <see cref="VertexStatus.Failure"/> says how.</summary>
    Failed,
    /// <summary>Final: cancelled (Ctrl-C, or another vertex failed first).</summary>
    Canceled,
}

/// <summary>
/// A vertex changed state. <paramref name="Number"/> is BuildKit's <c>#N</c>: assigned in the
/// order vertices are first reported, stable for the build. <paramref name="Name"/> is the
/// display name (<c>[stage 2/5] RUN make</c>, <c>[internal] load build context</c>).
/// <paramref name="Duration"/> is set on final states that ran.
/// </summary>
public sealed record VertexStatus(
    DateTimeOffset Time,
    string Id,
    int Number,
    string Name,
    VertexState State,
    TimeSpan? Duration = null,
    StepFailure? Failure = null) : ProgressEvent(Time);

/// <summary>Which stream a log chunk came from.</summary>
public enum LogStream
{
    Stdout = 1,
    Stderr = 2,
}

/// <summary>
/// Output of a running vertex, as the process wrote it (not split into lines).
/// <paramref name="Elapsed"/> is the time since the vertex started.
/// </summary>
public sealed record VertexLog(
    DateTimeOffset Time,
    string Id,
    int Number,
    LogStream Stream,
    ReadOnlyMemory<byte> Data,
    TimeSpan Elapsed) : ProgressEvent(Time);

/// <summary>
/// Measurable progress inside a vertex (a layer download, a context transfer, an export).
/// <paramref name="Item"/> names what is counted; <paramref name="Total"/> is null when unknown.
/// </summary>
public sealed record VertexProgress(
    DateTimeOffset Time,
    string Id,
    int Number,
    string Item,
    long Current,
    long? Total,
    bool Completed) : ProgressEvent(Time);

/// <summary>How serious a build message is.</summary>
public enum MessageLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>A message about the whole build (a Dockerfile warning, a base image used from the local copy).</summary>
public sealed record BuildMessage(DateTimeOffset Time, MessageLevel Level, string Text) : ProgressEvent(Time);

/// <summary>
/// Why a step failed, with what a user needs to act on it. For a process: its exit code, or the
/// signal that killed it, or that it ran out of memory; the last lines of its output; the path of
/// its full log; and the id under which its state was kept (for <c>builder debug shell</c>).
/// For any other failure (a missing COPY source, an unreachable registry) only
/// <paramref name="Message"/> is set.
/// </summary>
public sealed record StepFailure(string Message)
{
    /// <summary>The Dockerfile (or other source) the step came from, when known.</summary>
    public string? SourceFile { get; init; }

    /// <summary>First and last source line of the instruction (1-based), 0 when unknown.</summary>
    public int StartLine { get; init; }

    public int EndLine { get; init; }

    /// <summary>The source lines of the instruction, verbatim.</summary>
    public IReadOnlyList<string> SourceLines { get; init; } = [];

    /// <summary>The command as it ran (argv).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public int? ExitCode { get; init; }

    public int? Signal { get; init; }

    public bool OomKilled { get; init; }

    /// <summary>Up to the last 20 lines of the step's combined output.</summary>
    public IReadOnlyList<string> LastLines { get; init; } = [];

    /// <summary>Where the step's full output was kept.</summary>
    public string? LogPath { get; init; }

    /// <summary>The id of the kept failed state, when it was kept.</summary>
    public string? KeptStateId { get; init; }
}
