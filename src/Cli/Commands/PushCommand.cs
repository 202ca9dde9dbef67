using System.CommandLine;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Exporter.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder push IMAGE [TARGET]</c>: pushes a stored image to its registry (or as TARGET). Uncompressed
/// layers are gzip-compressed once here; blobs the registry has are skipped or mounted across repositories.
/// </summary>
internal static class PushCommand
{
    public static Command Create(CliContext cli)
    {
        var image = new Argument<string>("IMAGE") { Description = "Image name (or id, with TARGET)" };
        var target = new Argument<string?>("TARGET") { Description = "Push as this name instead: REGISTRY/REPOSITORY[:TAG]", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("push", "Push an image from the local store to a registry") { image, target };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            var imageText = result.GetValue(image)!;
            var destination = StoreCommand.ParseReference(result.GetValue(target) ?? imageText);
            if (RemoteOptions.Connect(result) is { } remote)
            {
                using (remote)
                {
                    return await RemoteStoreCommands.PushAsync(cli, remote, imageText, destination, cancellationToken).ConfigureAwait(false);
                }
            }
            using var session = StoreSession.Open(result);
            var stored = session.Images.Require(imageText);
            var pushed = await new ImagePusher(session.Images, session.Registry).PushAsync(stored, destination, cancellationToken: cancellationToken).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"{destination.ToFamiliarString()}: digest: {pushed.Digest} size: {pushed.Size}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
