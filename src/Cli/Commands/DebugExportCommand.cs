using System.CommandLine;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Exporter.Archives;
using Builder.Exporter.Outputs;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug export ID|--step N [BUILD] [--before] -o DIR|FILE.tar|-</c>: the state's whole filesystem as a
/// folder, or as one tar when the destination ends in .tar or is <c>-</c> (standard output). With <c>--host</c> the
/// server streams the tar and it is written here.
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
            var dest = parse.GetValue(output)!;
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    return await RemoteDebugCommands.ExportAsync(cli, remote, target.ToWire(parse), parse.GetValue(before), dest, cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            var resolved = target.Resolve(store, parse);
            var state = parse.GetValue(before) ? resolved.Before : resolved.After;
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
