using System.CommandLine;
using Builder.Cli.Store;
using Builder.Exporter.Archives;
using Builder.Oci.References;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder save [-o FILE] IMAGE...</c>: a docker-archive (readable by docker load, skopeo and OCI tools)
/// holding the images, each under the names it was asked by; without -o, or with -o -, on standard output.
/// </summary>
internal static class SaveCommand
{
    public static Command Create(CliContext cli)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Archive file to write ('-' or absent: standard output)" };
        var images = new Argument<string[]>("IMAGE") { Description = "Image names, ids or digests", Arity = ArgumentArity.OneOrMore };
        var command = new Command("save", "Write images to a docker-archive tar") { output, images };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            using var session = StoreSession.Open(result);
            var archive = new List<(Oci.Descriptor Manifest, List<ImageReference> Names)>();
            foreach (var text in result.GetValue(images)!)
            {
                var image = session.Images.Require(text);
                var index = archive.FindIndex(a => a.Manifest.Digest == image.Manifest.Digest);
                if (index < 0)
                {
                    archive.Add((image.Manifest, []));
                    index = archive.Count - 1;
                }
                // Asked for by name: saved under that name; by id: under no name, as docker save does.
                if (ImageReference.TryParse(text, out var name, out _) && image.Names.Contains(name.ToString()) && !archive[index].Names.Contains(name))
                {
                    archive[index].Names.Add(name);
                }
            }
            var dest = result.GetValue(output) ?? "-";
            if (dest == "-" && cli.RawOut is null && !Console.IsOutputRedirected)
            {
                throw new UsageException("refusing to write an image archive to a terminal: use -o FILE or redirect standard output");
            }
            await cli.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
            var target = OutputTarget.Parse(dest, dest == "-" ? cli.StdoutStream : Stream.Null);
            await new DockerArchiveWriter(session.Root.Content)
                .WriteAsync(archive.Select(a => new ArchiveImage(a.Manifest, a.Names)).ToList(), target, cancellationToken)
                .ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
