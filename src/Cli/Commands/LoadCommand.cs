using System.CommandLine;
using Builder.Cli.Store;
using Builder.Exporter.Loading;
using Builder.Oci.References;

namespace Builder.Cli.Commands;

/// <summary><c>builder load [-i FILE]</c>: reads a docker-archive or an OCI archive (standard input without -i) into the local store.</summary>
internal static class LoadCommand
{
    public static Command Create(CliContext cli)
    {
        var input = new Option<string?>("--input", "-i") { Description = "Archive to read (default: standard input)" };
        var command = new Command("load", "Load images from a docker-archive or OCI archive") { input };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            using var session = StoreSession.Open(result);
            var path = result.GetValue(input);
            using var lease = session.Root.Gc.CreateLease(TimeSpan.FromHours(6));
            var loader = new ArchiveLoader(session.Root);
            var loaded = path is null or "-"
                ? await loader.LoadAsync(cli.StdinStream, lease, cancellationToken).ConfigureAwait(false)
                : await loader.LoadAsync(path, lease, cancellationToken).ConfigureAwait(false);
            foreach (var image in loaded)
            {
                var names = image.Names.Select(n => ImageReference.TryParse(n, out var r, out _) ? r : null).OfType<ImageReference>().ToList();
                var stored = session.Images.Record(image.Manifest, image.Document, image.Config, image.TopSnapshot, names);
                if (names.Count == 0)
                {
                    await cli.Out.WriteLineAsync($"Loaded image ID: {stored.ConfigDigest}").ConfigureAwait(false);
                }
                foreach (var name in names)
                {
                    await cli.Out.WriteLineAsync($"Loaded image: {name.ToFamiliarString()}").ConfigureAwait(false);
                }
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
