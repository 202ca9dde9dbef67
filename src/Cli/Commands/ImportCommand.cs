using System.CommandLine;
using Builder.Cli.Store;
using Builder.Exporter.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder import SOURCE NAME[:TAG]</c>, like <c>docker import</c>: a root filesystem directory or tar
/// (plain, gzip or zstd) becomes a one-layer image for this host's platform with a default PATH.
/// </summary>
internal static class ImportCommand
{
    public static Command Create(CliContext cli)
    {
        var source = new Argument<string>("SOURCE") { Description = "Directory holding a root filesystem, or a tar of one" };
        var name = new Argument<string>("NAME") { Description = "Name of the new image: [REGISTRY/]REPOSITORY[:TAG]" };
        var command = new Command("import", "Make a one-layer image from a root filesystem directory or tar") { source, name };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            var reference = StoreCommand.ParseReference(result.GetValue(name)!);
            var sourcePath = result.GetValue(source)!;
            if (!Directory.Exists(sourcePath) && !File.Exists(sourcePath))
            {
                throw new FileNotFoundException($"cannot import {sourcePath}: no such file or directory");
            }
            using var session = StoreSession.Open(result);
            var image = await new ImageImporter(session.Images).ImportAsync(sourcePath, reference, cancellationToken: cancellationToken).ConfigureAwait(false);
            await cli.Out.WriteLineAsync(image.ConfigDigest.ToString()).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
