using System.CommandLine;
using Builder.Cli.Store;
using Builder.Oci.Image;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder pull [--platform P] IMAGE</c>: fetches an image (only the blobs not yet stored) into the local store.
/// The blobs are verified and kept; their layers are unpacked by the first build or run that uses the image.
/// </summary>
internal static class PullCommand
{
    public static Command Create(CliContext cli)
    {
        var platform = new Option<string?>("--platform") { Description = "Platform to pull, e.g. linux/arm64 (default: this host's)" };
        var image = new Argument<string>("IMAGE") { Description = "[REGISTRY/]REPOSITORY[:TAG|@DIGEST]" };
        var command = new Command("pull", "Pull an image from a registry into the local store") { platform, image };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            var reference = StoreCommand.ParseReference(result.GetValue(image)!);
            var wanted = result.GetValue(platform) is { } text ? ParsePlatform(text) : Platform.Host;
            using var session = StoreSession.Open(result);
            var stored = await session.Puller.PullAsync(reference, wanted, unpack: false, cancellationToken).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"{reference.ToFamiliarString()}: digest {stored.Manifest.Digest}, image id {stored.ShortId}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Platform ParsePlatform(string text)
    {
        try
        {
            return Platform.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--platform {text}: {e.Message}");
        }
    }
}
