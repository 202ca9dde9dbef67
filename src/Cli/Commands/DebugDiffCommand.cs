using System.CommandLine;
using Builder.Cli.Debug;
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
            using var store = StoreSession.Open(parse);
            var resolved = target.Resolve(store, parse);
            foreach (var (change, path) in StateDiff.Compare(store.Root, resolved.Before, resolved.After))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var letter = change switch { PathChange.Added => 'A', PathChange.Changed => 'C', _ => 'D' };
                await cli.Out.WriteLineAsync($"{letter} {path}").ConfigureAwait(false);
            }
            return ExitCodes.Success;
        }));
        return diff;
    }
}
