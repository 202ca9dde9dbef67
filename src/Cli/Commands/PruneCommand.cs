using System.CommandLine;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Solver.Cache;
using Builder.Solver.Failures;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder prune [--all] [--force]</c>: removes expired kept failed steps, then every snapshot and blob no
/// image, cache record or live lease references. <c>--all</c> also removes every kept failed step and drops
/// the build cache records, so only what images use stays.
/// </summary>
internal static class PruneCommand
{
    public static Command Create(CliContext cli)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Also remove every kept failed step and the whole build cache" };
        var force = new Option<bool>("--force", "-f") { Description = "Do not ask for confirmation" };
        var prune = new Command("prune", "Remove expired failed-step states and unreferenced build data (locally, or on the server given by --host)") { all, force };
        prune.SetAction((parse, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            var everything = parse.GetValue(all);
            if (!parse.GetValue(force))
            {
                await cli.Error.WriteAsync(everything
                    ? "This removes every kept failed step, the whole build cache and all data no image uses. Continue? [y/N] "
                    : "This removes expired failed steps and all data nothing references. Continue? [y/N] ").ConfigureAwait(false);
                var answer = await cli.In.ReadLineAsync().ConfigureAwait(false);
                if (answer?.Trim() is not ("y" or "Y" or "yes"))
                {
                    await cli.Error.WriteLineAsync("nothing removed").ConfigureAwait(false);
                    return ExitCodes.Success;
                }
            }
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    return await RemoteStoreCommands.PruneAsync(cli, remote, new Server.Protocol.PruneRequest { All = everything }, cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            var failures = new FailedSteps(store.Root);
            int failedRemoved;
            if (everything)
            {
                var kept = failures.List();
                foreach (var record in kept)
                {
                    failures.Remove(record);
                }
                failedRemoved = kept.Count;
            }
            else
            {
                failedRemoved = failures.RemoveExpired(DateTimeOffset.UtcNow);
            }
            var cacheRemoved = everything ? new CacheRecords(store.Root).DropAll() : 0;
            // Context copies a `builder serve` on this data root kept (none when it never served).
            var contexts = Server.Context.ContextCopyFolders.Prune(store.Root.Path, Server.Context.ContextCopyFolders.DefaultTtl, everything, DateTimeOffset.UtcNow);
            var collected = store.Root.Gc.Collect();
            await cli.Out.WriteLineAsync(
                $"removed {failedRemoved} failed step state(s), {cacheRemoved} cache record(s), {collected.SnapshotsRemoved} snapshot(s), {collected.BlobsRemoved} blob(s)" +
                (contexts.Copies > 0 ? $", {contexts.Copies} context cop{(contexts.Copies == 1 ? "y" : "ies")}" : "") +
                $"; freed {ImagesCommand.HumanSize(collected.BytesFreed + contexts.Bytes)}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return prune;
    }
}
