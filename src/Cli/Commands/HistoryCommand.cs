using System.CommandLine;
using System.Globalization;
using Builder.Build.Debug;
using Builder.Cli.Debug;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Solver.History;
using Builder.Solver.Progress;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder history [BUILD]</c>: every step of a build (the newest by default) with its cache status, duration,
/// result snapshot and that snapshot's own size; <c>--builds</c> lists the recorded builds instead. With
/// <c>--host</c>, the build server's builds.
/// </summary>
internal static class HistoryCommand
{
    public static Command Create(CliContext cli)
    {
        var build = new Argument<string?>("BUILD") { Description = "Build id or prefix (default: the newest build)", Arity = ArgumentArity.ZeroOrOne };
        var builds = new Option<bool>("--builds") { Description = "List the recorded builds, newest first" };
        var history = new Command("history", "List the steps of a build: cache status, duration, snapshot, size") { build, builds };
        history.SetAction((parse, cancellationToken) => DebugCommand.RunAsync(cli, async () =>
        {
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    return parse.GetValue(builds)
                        ? await RemoteDebugCommands.ListBuildsAsync(cli, remote, list => WriteBuildsAsync(cli, list), cancellationToken).ConfigureAwait(false)
                        : await RemoteDebugCommands.HistoryAsync(cli, remote, parse.GetValue(build), listing => WriteStepsAsync(cli, listing), cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            return parse.GetValue(builds)
                ? await WriteBuildsAsync(cli, DebugListings.Builds(store.Root)).ConfigureAwait(false)
                : await WriteStepsAsync(cli, DebugListings.History(store.Root, parse.GetValue(build))).ConfigureAwait(false);
        }));
        return history;
    }

    private static async Task<int> WriteBuildsAsync(CliContext cli, IReadOnlyList<BuildRecord> builds)
    {
        var now = DateTimeOffset.UtcNow;
        var list = new List<string[]> { new[] { "BUILD", "STARTED", "STATUS", "DOCKERFILE", "IMAGES" } };
        list.AddRange(builds.Select(b => new[] { b.Id, ImagesCommand.Ago(now - b.Started), b.Status, b.SourceFile ?? "-", string.Join(",", b.Names) }));
        await TextTable.WriteAsync(cli.Out, list).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static async Task<int> WriteStepsAsync(CliContext cli, BuildListing listing)
    {
        var now = DateTimeOffset.UtcNow;
        var found = listing.Build;
        await cli.Out.WriteLineAsync($"build {found.Id} ({found.Status}, {ImagesCommand.Ago(now - found.Started)}, {found.SourceFile ?? "-"})").ConfigureAwait(false);
        var rows = new List<string[]> { new[] { "STEP", "STATUS", "DURATION", "SNAPSHOT", "SIZE", "INSTRUCTION" } };
        foreach (var (step, snapshot, size) in listing.Steps)
        {
            var status = step.State switch
            {
                VertexState.Cached => "CACHED",
                VertexState.Done => "DONE",
                VertexState.Failed => step.FailedStateId is { } kept ? "FAILED (kept: " + kept + ")" : "FAILED",
                var other => other.ToString().ToUpperInvariant(),
            };
            var duration = step.Duration is { } d ? d.TotalSeconds.ToString(d.TotalSeconds < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + "s" : "-";
            var sizeText = snapshot is null ? "-" : size is { } bytes ? ImagesCommand.HumanSize(bytes) : "gone";
            rows.Add([step.Number.ToString(CultureInfo.InvariantCulture), status, duration, snapshot ?? "-", sizeText, step.Name]);
        }
        await TextTable.WriteAsync(cli.Out, rows).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
