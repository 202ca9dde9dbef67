using System.CommandLine;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Snapshotter.Gc;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder prune [--all] [--keep-storage BYTES] [--older-than SECONDS]</c>: drops build cache records
/// (as buildkit's prune) and collects what nothing references; images are kept. Locally or on a server.
/// </summary>
internal static class PruneCommand
{
    public static Command Create(CliContext cli)
    {
        var all = new Option<bool>("--all", "-a") { Description = "Remove every cache record" };
        var keepStorage = new Option<long?>("--keep-storage") { Description = "Then drop the oldest records until the store uses at most this many bytes" };
        var olderThan = new Option<long?>("--older-than") { Description = "Remove cache records unused for longer than this many seconds" };
        var command = new Command("prune", "Remove build cache") { all, keepStorage, olderThan };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            if (RemoteOptions.Connect(result) is { } remote)
            {
                using (remote)
                {
                    return await RemoteStoreCommands.PruneAsync(cli, remote, new Server.Protocol.PruneRequest
                    {
                        All = result.GetValue(all),
                        KeepStorage = result.GetValue(keepStorage) ?? 0,
                        OlderThanSeconds = result.GetValue(olderThan) ?? 0,
                    }, cancellationToken).ConfigureAwait(false);
                }
            }
            using var session = StoreSession.Open(result);
            var older = result.GetValue(olderThan);
            var pruned = session.Root.Gc.Prune(new PruneOptions
            {
                KeepDuration = older is { } seconds ? TimeSpan.FromSeconds(seconds) : result.GetValue(all) ? TimeSpan.Zero : null,
                KeepStorage = result.GetValue(keepStorage),
            });
            await cli.Out.WriteLineAsync($"removed {pruned.CacheRecordsRemoved} cache records, {pruned.SnapshotsRemoved} snapshots and {pruned.BlobsRemoved} blobs; reclaimed {pruned.BytesFreed} bytes").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
