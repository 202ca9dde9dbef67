using System.Net.Http;
using Builder.Exporter.Store;
using Builder.Oci.References;
using Builder.Oci.Registry;

namespace Builder.Cli.Store;

/// <summary>
/// What the image commands share: turning the failures a user can cause or fix (an unknown image, a bad
/// reference, a registry error, a broken archive, a store in use) into one <c>error: …</c> line and exit 1.
/// </summary>
internal static class StoreCommand
{
    public static async Task<int> RunAsync(CliContext cli, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (IsUserFacing(e))
        {
            await cli.Out.FlushAsync().ConfigureAwait(false);
            await cli.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    public static bool IsUserFacing(Exception e) => e is ImageNotFoundException or ImageStoreConflictException or ImagePullException
        or RegistryException or StoreUnavailableException or FormatException or InvalidDataException or FileNotFoundException
        or DirectoryNotFoundException or HttpRequestException or IOException or UnauthorizedAccessException;

    /// <summary>Parses an image name the user typed; a bad one is a <see cref="FormatException"/> naming it.</summary>
    public static ImageReference ParseReference(string text) =>
        ImageReference.TryParse(text, out var reference, out var error) ? reference : throw new FormatException($"'{text}': {error}");

    /// <summary>Docker's REPOSITORY column for a normalized name: <c>busybox</c>, <c>user/app</c>, <c>host:5000/app</c>.</summary>
    public static string FamiliarRepository(ImageReference reference) =>
        reference.Registry == ImageReference.DefaultRegistry
            ? reference.Repository.StartsWith("library/", StringComparison.Ordinal) ? reference.Repository["library/".Length..] : reference.Repository
            : reference.Name;
}
