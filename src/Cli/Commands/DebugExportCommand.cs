using System.CommandLine;
using Builder.Cli.Store;
using Builder.Exporter.Archives;
using Builder.Exporter.Outputs;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug export ID|--step N [BUILD] [--before] -o DIR|FILE.tar|-</c>: the state's whole filesystem as a
/// folder, or as one tar when the destination ends in .tar or is <c>-</c> (standard output).
/// </summary>
internal static class DebugExportCommand
{
    public static Command Create(CliContext cli)
    {
        var target = new DebugCommand.TargetArguments();
        var output = new Option<string>("--output", "-o") { Description = "Destination: a directory, FILE.tar, or - for a tar on standard output", Required = true };
        var before = new Option<bool>("--before") { Description = "Export the state before the step ran" };
        var export = new Command("export", "Write the filesystem of a failed (or any) step out") { output, before };
        target.AddTo(export);
        export.SetAction((parse, cancellationToken) => DebugCommand.RunAsync(cli, async () =>
        {
            using var store = StoreSession.Open(parse);
            var resolved = target.Resolve(store, parse);
            var state = parse.GetValue(before) ? resolved.Before : resolved.After;
            var dest = parse.GetValue(output)!;
            var exporter = new RootfsExporter(store.Root);
            if (dest == "-" || dest.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
            {
                await cli.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                await exporter.WriteTarAsync(state, OutputTarget.Parse(dest, cli.StdoutStream), null, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await exporter.WriteDirectoryAsync(state, OutputTarget.File(dest), cancellationToken).ConfigureAwait(false);
            }
            if (dest != "-")
            {
                await cli.Error.WriteLineAsync($"exported {resolved.Label}{(parse.GetValue(before) ? " (before it ran)" : "")} to {dest}").ConfigureAwait(false);
            }
            return ExitCodes.Success;
        }));
        return export;
    }
}
