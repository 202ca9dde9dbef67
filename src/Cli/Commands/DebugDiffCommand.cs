using System.CommandLine;
using Builder.Build.Debug;
using Builder.Cli.Remote;
using Builder.Cli.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug diff ID|--step N [BUILD]</c>: the paths the step added (A), changed (C) and deleted (D),
/// as <c>docker diff</c> prints them.
/// </summary>
internal static class DebugDiffCommand
{
    public static Command Create(CliContext cli)
    {
        var target = new DebugCommand.TargetArguments();
        var diff = new Command("diff", "List what a failed (or any) step added, changed and deleted");
        target.AddTo(diff);
        diff.SetAction((parse, cancellationToken) => DebugCommand.RunAsync(cli, async () =>
        {
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    return await RemoteDebugCommands.DiffAsync(cli, remote, target.ToWire(parse), changes => WriteAsync(cli, changes, cancellationToken), cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            var resolved = target.Resolve(store, parse);
            return await WriteAsync(cli, StateDiff.Compare(store.Root, resolved.Before, resolved.After), cancellationToken).ConfigureAwait(false);
        }));
        return diff;
    }

    private static async Task<int> WriteAsync(CliContext cli, IEnumerable<(PathChange Change, string Path)> changes, CancellationToken cancellationToken)
    {
        foreach (var (change, path) in changes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var letter = change switch { PathChange.Added => 'A', PathChange.Changed => 'C', _ => 'D' };
            await cli.Out.WriteLineAsync($"{letter} {path}").ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }
}
