using Builder.Engine;
using Builder.Snapshotter;
using Builder.Solver.Failures;
using Builder.Solver.History;

namespace Builder.Build.Debug;

/// <summary>
/// The state a <c>builder debug</c> command works on: a kept failed step (by id or id prefix) or any
/// step of a recorded build (<c>--step N BUILD</c>), with the snapshot after it and the one before it.
/// </summary>
public sealed record DebugTarget
{
    /// <summary>Default environment for a step whose environment was not recorded.</summary>
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>How messages name it: <c>failed step ID</c> or <c>step N of build B</c>.</summary>
    public required string Label { get; init; }

    /// <summary>The state after the step (for a failure: as the process left it), null for an empty root.</summary>
    public string? After { get; init; }

    /// <summary>The state the step ran on, null for an empty root.</summary>
    public string? Before { get; init; }

    /// <summary>Set for a kept failed step: how its command ran.</summary>
    public FailedStepRecord? Failure { get; init; }

    public IReadOnlyList<string> Env => Failure?.Env ?? [DefaultPath];

    public string User => Failure?.User ?? "";

    public string WorkingDir => Failure is { WorkingDir.Length: > 0 } f ? f.WorkingDir : "/";

    /// <summary>The network a kept failed step's command ran with (<c>debug rerun</c>'s default); none otherwise.</summary>
    public NetworkMode RecordedNetwork => Enum.TryParse<NetworkMode>(Failure?.Network, out var recorded) ? recorded : NetworkMode.None;

    /// <summary>
    /// <paramref name="step"/> null: <paramref name="idOrBuild"/> is a kept failure's id. Otherwise it is a build id
    /// (prefix; the newest build when null) and <paramref name="step"/> the step number <c>builder history</c> shows.
    /// </summary>
    public static DebugTarget Resolve(DataRoot root, string? idOrBuild, int? step)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (step is null)
        {
            if (string.IsNullOrEmpty(idOrBuild))
            {
                throw new DebugTargetException("give the id of a kept failed step (see builder debug ls), or --step N [BUILD]");
            }
            FailedStepRecord failure;
            try
            {
                failure = new FailedSteps(root).Find(idOrBuild);
            }
            catch (Exception e) when (e is KeyNotFoundException or AmbiguousFailureIdException)
            {
                throw new DebugTargetException(e.Message);
            }
            if (failure.Expires <= DateTimeOffset.UtcNow)
            {
                throw new DebugTargetException($"the kept failed step {failure.Id} expired at {failure.Expires.ToLocalTime():yyyy-MM-dd HH:mm} and is being removed; build again to get a new one");
            }
            RequireSnapshot(root, failure.Snapshot, $"the kept failed step {failure.Id}");
            return new DebugTarget { Label = $"failed step {failure.Id}", After = failure.Snapshot, Before = failure.Parent, Failure = failure };
        }
        var found = new BuildHistory(root).Find(idOrBuild)
            ?? throw new DebugTargetException(idOrBuild is null ? "no build is recorded yet" : $"no recorded build has the id {idOrBuild} (see builder history)");
        var record = found.Steps.FirstOrDefault(s => s.Number == step)
            ?? throw new DebugTargetException($"build {found.Build.Id} has no step {step} (its steps are {string.Join(", ", found.Steps.Select(s => s.Number))})");
        if (record.FailedStateId is { } failedId)
        {
            return Resolve(root, failedId, null);
        }
        var label = $"step {step} of build {found.Build.Id}";
        if (record.Snapshot is not { } snapshot)
        {
            throw new DebugTargetException($"{label} ({record.Name}) has no filesystem state ({record.State.ToString().ToLowerInvariant()}; only steps that produce a filesystem can be entered)");
        }
        RequireSnapshot(root, snapshot, label);
        return new DebugTarget { Label = label, After = snapshot, Before = root.Snapshots.Stat(snapshot).Parent };
    }

    private static void RequireSnapshot(DataRoot root, string snapshot, string label)
    {
        try
        {
            root.Snapshots.Stat(snapshot);
        }
        catch (KeyNotFoundException)
        {
            throw new DebugTargetException($"the state of {label} is gone (removed by builder prune or garbage collection)");
        }
    }
}

/// <summary>The debug target cannot be found or entered; the message says why.</summary>
public sealed class DebugTargetException(string message) : Exception(message);
