using Builder.Exporter.Store;
using Builder.Oci;
using Builder.Oci.References;
using Builder.Oci.Registry.Auth;
using Builder.Server.Client;
using Builder.Server.Protocol;

namespace Builder.Cli.Remote;

/// <summary><c>images</c>, <c>inspect</c>, <c>push</c> and <c>prune</c> on a build server's store; the output is the local commands' own.</summary>
internal static class RemoteStoreCommands
{
    public static Task<int> ImagesAsync(CliContext cli, BuilderConnection connection, Func<IReadOnlyList<StoredImage>, Task<int>> write) =>
        RemoteCalls.RunAsync(cli, connection, async () =>
        {
            var response = await connection.Client.ImagesAsync(new ImagesRequest()).ConfigureAwait(false);
            return await write(response.Images.Select(ToStored).ToList()).ConfigureAwait(false);
        });

    public static Task<int> InspectAsync(CliContext cli, BuilderConnection connection, string image, Func<CliContext, StoredImage, byte[], byte[], Task<int>> write) =>
        RemoteCalls.RunAsync(cli, connection, async () =>
        {
            var response = await connection.Client.InspectAsync(new InspectRequest { Image = image }).ConfigureAwait(false);
            return await write(cli, ToStored(response.Image), response.Manifest.ToByteArray(), response.Config.ToByteArray()).ConfigureAwait(false);
        });

    /// <summary>The server pushes; the credentials for the destination's registry come from this machine's store.</summary>
    public static Task<int> PushAsync(CliContext cli, BuilderConnection connection, string image, ImageReference destination, CancellationToken cancellationToken) =>
        RemoteCalls.RunAsync(cli, connection, async () =>
        {
            var credentials = CredentialChain.Default().GetCredentials(destination.Registry);
            var response = await connection.Client.PushAsync(new PushRequest
            {
                Image = image,
                Destination = destination.ToString(),
                Username = credentials?.Username ?? "",
                Password = credentials?.Password ?? "",
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"{response.Reference}: digest: {response.Digest} size: {response.Size}").ConfigureAwait(false);
            return ExitCodes.Success;
        });

    public static Task<int> PruneAsync(CliContext cli, BuilderConnection connection, PruneRequest request, CancellationToken cancellationToken) =>
        RemoteCalls.RunAsync(cli, connection, async () =>
        {
            var response = await connection.Client.PruneAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"{response.Summary}; freed {Commands.ImagesCommand.HumanSize(response.ReclaimedBytes)}").ConfigureAwait(false);
            return ExitCodes.Success;
        });

    private static StoredImage ToStored(ImageSummary summary) => new(
        new Descriptor(summary.MediaType, Digest.Parse(summary.ManifestDigest), summary.ManifestSize),
        Digest.Parse(summary.ConfigDigest),
        null,
        summary.Size,
        new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + summary.CreatedUnixTicks, TimeSpan.Zero),
        summary.Names.ToArray());
}
