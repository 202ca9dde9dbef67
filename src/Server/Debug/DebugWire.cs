using Builder.Build.Debug;
using Builder.Server.Protocol.Debugging;
using Builder.Solver.History;
using Builder.Solver.Progress;
using PathChange = Builder.Build.Debug.PathChange;
using WirePathChange = Builder.Server.Protocol.Debugging.PathChange;

namespace Builder.Server.Debug;

/// <summary>
/// The debugging API's messages to and from the listings the local commands use, so <c>builder debug ls</c>,
/// <c>history</c> and <c>diff</c> print the same rows for a server's store as for the local one.
/// </summary>
public static class DebugWire
{
    public static FailureSummary ToWire(FailureListing listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var summary = new FailureSummary
        {
            Id = listing.Id,
            CreatedUnixTicks = Ticks(listing.Created),
            ExpiresUnixTicks = Ticks(listing.Expires),
            BuildId = listing.BuildId,
            SourceFile = listing.SourceFile ?? "",
            StartLine = listing.StartLine,
            Name = listing.Name,
            HasExitCode = listing.ExitCode is not null,
            ExitCode = listing.ExitCode ?? 0,
            HasSignal = listing.Signal is not null,
            Signal = listing.Signal ?? 0,
            HasSize = listing.Size is not null,
            Size = listing.Size ?? 0,
        };
        summary.BuildNames.Add(listing.BuildNames);
        return summary;
    }

    public static FailureListing FromWire(FailureSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new FailureListing
        {
            Id = summary.Id,
            Created = Time(summary.CreatedUnixTicks),
            Expires = Time(summary.ExpiresUnixTicks),
            BuildId = summary.BuildId,
            BuildNames = summary.BuildNames.ToArray(),
            SourceFile = summary.SourceFile.Length == 0 ? null : summary.SourceFile,
            StartLine = summary.StartLine,
            Name = summary.Name,
            ExitCode = summary.HasExitCode ? summary.ExitCode : null,
            Signal = summary.HasSignal ? summary.Signal : null,
            Size = summary.HasSize ? summary.Size : null,
        };
    }

    public static BuildSummary ToWire(BuildRecord build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var summary = new BuildSummary { Id = build.Id, StartedUnixTicks = Ticks(build.Started), SourceFile = build.SourceFile ?? "", Status = build.Status };
        summary.Names.Add(build.Names);
        return summary;
    }

    public static BuildRecord FromWire(BuildSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return new BuildRecord(summary.Id, Time(summary.StartedUnixTicks), summary.SourceFile.Length == 0 ? null : summary.SourceFile, summary.Status, summary.Names.ToArray());
    }

    public static HistoryResponse ToWire(BuildListing listing)
    {
        ArgumentNullException.ThrowIfNull(listing);
        var response = new HistoryResponse { Build = ToWire(listing.Build) };
        response.Steps.Add(listing.Steps.Select(s => new StepSummary
        {
            Number = s.Step.Number,
            Name = s.Step.Name,
            State = (StepState)(int)s.Step.State,
            HasDuration = s.Step.Duration is not null,
            DurationTicks = s.Step.Duration?.Ticks ?? 0,
            Snapshot = s.Snapshot ?? "",
            FailedStateId = s.Step.FailedStateId ?? "",
            HasSize = s.Size is not null,
            Size = s.Size ?? 0,
        }));
        return response;
    }

    public static BuildListing FromWire(HistoryResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var steps = response.Steps.Select(s => new StepListing(
            new BuildStepRecord(s.Number, s.Name, (VertexState)(int)s.State, s.HasDuration ? TimeSpan.FromTicks(s.DurationTicks) : null,
                s.FailedStateId.Length > 0 ? null : NullIfEmpty(s.Snapshot), NullIfEmpty(s.FailedStateId)),
            NullIfEmpty(s.Snapshot),
            s.HasSize ? s.Size : null)).ToList();
        return new BuildListing(FromWire(response.Build), steps);
    }

    public static PathDifference ToWire(PathChange change, string path) => new() { Change = (WirePathChange)(int)change, Path = path };

    public static (PathChange Change, string Path) FromWire(PathDifference difference)
    {
        ArgumentNullException.ThrowIfNull(difference);
        return ((PathChange)(int)difference.Change, difference.Path);
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    private static long Ticks(DateTimeOffset time) => time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;

    private static DateTimeOffset Time(long ticks) => new(DateTimeOffset.UnixEpoch.UtcTicks + ticks, TimeSpan.Zero);
}
