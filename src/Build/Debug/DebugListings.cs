using Builder.Snapshotter;
using Builder.Solver.Failures;
using Builder.Solver.History;

namespace Builder.Build.Debug;

/// <summary>One row of <c>builder debug ls</c>: a kept failed step, the names of its build and the size its state keeps.</summary>
public sealed record FailureListing
{
    public required string Id { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required DateTimeOffset Expires { get; init; }

    public required string BuildId { get; init; }

    /// <summary>The -t names of the failed build (empty when it had none).</summary>
    public IReadOnlyList<string> BuildNames { get; init; } = [];

    public string? SourceFile { get; init; }

    public int StartLine { get; init; }

    /// <summary>The step's name as the progress showed it.</summary>
    public required string Name { get; init; }

    public int? ExitCode { get; init; }

    public int? Signal { get; init; }

    /// <summary>Bytes its state keeps; null when the state is gone.</summary>
    public long? Size { get; init; }
}

/// <summary>One step of <c>builder history</c>: the record, the snapshot it shows (<c>failed/ID</c> for a kept failure) and that snapshot's size.</summary>
public sealed record StepListing(BuildStepRecord Step, string? Snapshot, long? Size);

/// <summary>A recorded build and its steps, for <c>builder history</c>.</summary>
public sealed record BuildListing(BuildRecord Build, IReadOnlyList<StepListing> Steps);

/// <summary>
/// What <c>builder debug ls</c> and <c>builder history</c> show, read from a data root: the same rows for the
/// local commands and for a build server's answers.
/// </summary>
public static class DebugListings
{
    /// <summary>The kept failed steps, newest first; sizes only when <paramref name="withSizes"/> (they walk the states).</summary>
    public static IReadOnlyList<FailureListing> Failures(DataRoot root, bool withSizes = true)
    {
        ArgumentNullException.ThrowIfNull(root);
        var failures = new FailedSteps(root).List();
        var builds = withSizes ? new BuildHistory(root).Builds(1000).ToDictionary(b => b.Id, StringComparer.Ordinal) : [];
        return failures.Select(f => new FailureListing
        {
            Id = f.Id,
            Created = f.Created,
            Expires = f.Expires,
            BuildId = f.BuildId,
            BuildNames = builds.TryGetValue(f.BuildId, out var build) ? build.Names : [],
            SourceFile = f.SourceFile,
            StartLine = f.StartLine,
            Name = f.Name,
            ExitCode = f.ExitCode,
            Signal = f.Signal,
            Size = withSizes ? SizeOf(root, f.Snapshot) : null,
        }).ToList();
    }

    /// <summary>The recorded builds, newest first.</summary>
    public static IReadOnlyList<BuildRecord> Builds(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return new BuildHistory(root).Builds();
    }

    /// <summary>Build <paramref name="id"/> (a prefix; the newest when null) with every step; throws <see cref="DebugTargetException"/> when there is none.</summary>
    public static BuildListing History(DataRoot root, string? id)
    {
        ArgumentNullException.ThrowIfNull(root);
        var found = new BuildHistory(root).Find(id)
            ?? throw new DebugTargetException(id is null ? "no build is recorded yet" : $"no recorded build has the id {id} (see builder history --builds)");
        var steps = found.Steps.Select(step =>
        {
            var snapshot = step.FailedStateId is { } failed ? "failed/" + failed : step.Snapshot;
            return new StepListing(step, snapshot, snapshot is null ? null : SizeOf(root, snapshot));
        }).ToList();
        return new BuildListing(found.Build, steps);
    }

    private static long? SizeOf(DataRoot root, string snapshot)
    {
        try
        {
            return root.Snapshots.Usage(snapshot).Size;
        }
        catch (KeyNotFoundException)
        {
            return null;
        }
    }
}
