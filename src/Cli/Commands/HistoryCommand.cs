using System.CommandLine;
using System.Globalization;
using Builder.Cli.Debug;
using Builder.Cli.Store;
using Builder.Solver.History;
using Builder.Solver.Progress;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder history [BUILD]</c>: every step of a build (the newest by default) with its cache status, duration,
/// result snapshot and that snapshot's own size; <c>--builds</c> lists the recorded builds instead.
/// </summary>
internal static class HistoryCommand
{
    public static Command Create(CliContext cli)
    {
        var build = new Argument<string?>("BUILD") { Description = "Build id or prefix (default: the newest build)", Arity = ArgumentArity.ZeroOrOne };
        var builds = new Option<bool>("--builds") { Description = "List the recorded builds, newest first" };
        var history = new Command("history", "List the steps of a build: cache status, duration, snapshot, size") { build, builds };
        history.SetAction((parse, _) => DebugCommand.RunAsync(cli, async () =>
        {
            using var store = StoreSession.Open(parse);
            var records = new BuildHistory(store.Root);
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(builds))
            {
                var list = new List<string[]> { new[] { "BUILD", "STARTED", "STATUS", "DOCKERFILE", "IMAGES" } };
                list.AddRange(records.Builds().Select(b => new[] { b.Id, ImagesCommand.Ago(now - b.Started), b.Status, b.SourceFile ?? "-", string.Join(",", b.Names) }));
                await TextTable.WriteAsync(cli.Out, list).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            var id = parse.GetValue(build);
            var found = records.Find(id) ?? throw new DebugTargetException(id is null ? "no build is recorded yet" : $"no recorded build has the id {id} (see builder history --builds)");
            await cli.Out.WriteLineAsync($"build {found.Build.Id} ({found.Build.Status}, {ImagesCommand.Ago(now - found.Build.Started)}, {found.Build.SourceFile ?? "-"})").ConfigureAwait(false);
            var rows = new List<string[]> { new[] { "STEP", "STATUS", "DURATION", "SNAPSHOT", "SIZE", "INSTRUCTION" } };
            foreach (var step in found.Steps)
            {
                var status = step.State switch
                {
                    VertexState.Cached => "CACHED",
                    VertexState.Done => "DONE",
                    VertexState.Failed => step.FailedStateId is { } kept ? "FAILED (kept: " + kept + ")" : "FAILED",
                    var other => other.ToString().ToUpperInvariant(),
                };
                var duration = step.Duration is { } d ? d.TotalSeconds.ToString(d.TotalSeconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "s" : "-";
                var snapshot = step.FailedStateId is { } failed ? "failed/" + failed : step.Snapshot;
                rows.Add([step.Number.ToString(CultureInfo.InvariantCulture), status, duration, snapshot ?? "-", Size(store, snapshot), step.Name]);
            }
            await TextTable.WriteAsync(cli.Out, rows).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return history;
    }

    private static string Size(StoreSession store, string? snapshot)
    {
        if (snapshot is null)
        {
            return "-";
        }
        try
        {
            return ImagesCommand.HumanSize(store.Root.Snapshots.Usage(snapshot).Size);
        }
        catch (KeyNotFoundException)
        {
            return "gone";
        }
    }
}
