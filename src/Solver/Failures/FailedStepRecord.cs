namespace Builder.Solver.Failures;

/// <summary>
/// One kept failed step: the committed writable layer (<see cref="Snapshot"/>, <c>failed/ID</c>), the state
/// it ran on (<see cref="Parent"/>, null for an empty root) and exactly how the command ran.
/// </summary>
public sealed record FailedStepRecord
{
    public required string Id { get; init; }

    public required DateTimeOffset Created { get; init; }

    /// <summary>When the state is removed by the next build or <c>builder prune</c>.</summary>
    public required DateTimeOffset Expires { get; init; }

    public required string BuildId { get; init; }

    public required string Snapshot { get; init; }

    public string? Parent { get; init; }

    /// <summary>The step's name as the progress showed it (e.g. <c>[2/3] RUN make</c>).</summary>
    public required string Name { get; init; }

    public string? SourceFile { get; init; }

    public int StartLine { get; init; }

    public int EndLine { get; init; }

    public int? ExitCode { get; init; }

    public int? Signal { get; init; }

    /// <summary>The command's argv.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The environment as K=V, secrets removed.</summary>
    public required IReadOnlyList<string> Env { get; init; }

    public required string User { get; init; }

    public required string WorkingDir { get; init; }

    /// <summary>The engine network mode it ran with (<c>None</c> or <c>Host</c>).</summary>
    public required string Network { get; init; }

    /// <summary>Cache mounts as TARGET=CACHE-ID.</summary>
    public required IReadOnlyList<string> CacheMounts { get; init; }

    public string? LogPath { get; init; }
}
