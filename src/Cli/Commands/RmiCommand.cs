using System.CommandLine;
using Builder.Cli.Store;
using Builder.Exporter.Store;
using Builder.Oci.References;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder rmi [-f] IMAGE...</c>, as Docker does it: a name is untagged, and the image goes when its last
/// name does; an id removes the image, but one with several names only with -f. The image's blobs and
/// snapshots are freed by the next garbage collection unless another image uses them.
/// </summary>
internal static class RmiCommand
{
    public static Command Create(CliContext cli)
    {
        var force = new Option<bool>("--force", "-f") { Description = "Remove an image by id even when it has several names" };
        var images = new Argument<string[]>("IMAGE") { Description = "Image names, ids or digests", Arity = ArgumentArity.OneOrMore };
        var command = new Command("rmi", "Remove images from the local store") { force, images };
        command.SetAction((result, _) => StoreCommand.RunAsync(cli, async () =>
        {
            using var session = StoreSession.Open(result);
            var failed = false;
            foreach (var text in result.GetValue(images)!)
            {
                try
                {
                    foreach (var line in Remove(session.Images, text, result.GetValue(force)))
                    {
                        await cli.Out.WriteLineAsync(line).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is ImageNotFoundException or ImageStoreConflictException)
                {
                    await cli.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                    failed = true;
                }
            }
            return failed ? ExitCodes.Failure : ExitCodes.Success;
        }));
        return command;
    }

    private static List<string> Remove(ImageStore store, string text, bool force)
    {
        var image = store.Require(text);
        var lines = new List<string>();
        if (ImageReference.TryParse(text, out var name, out _) && image.Names.Contains(name.ToString()))
        {
            store.Untag(name);
            lines.Add($"Untagged: {name.ToFamiliarString()}");
            if (image.Names.Count > 1)
            {
                return lines;
            }
        }
        else if (image.Names.Count > 1 && !force)
        {
            throw new ImageStoreConflictException($"unable to delete {image.ShortId} (must be forced with -f): it is referenced by several names ({string.Join(", ", image.Names.Select(n => ImageReference.Parse(n).ToFamiliarString()))})");
        }
        else
        {
            lines.AddRange(image.Names.Select(n => $"Untagged: {ImageReference.Parse(n).ToFamiliarString()}"));
        }
        store.Remove(image);
        lines.Add($"Deleted: {image.ConfigDigest}");
        return lines;
    }
}
