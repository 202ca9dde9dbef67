using Builder.Oci;

namespace Builder.Exporter.Store;

/// <summary>An image in the local store.</summary>
/// <param name="Manifest">Descriptor of its manifest blob.</param>
/// <param name="ConfigDigest">Digest of its config blob: the image id, as Docker shows it.</param>
/// <param name="TopSnapshot">
/// The committed snapshot holding its root filesystem; null for an image without layers, and for one stored by a
/// blobs-only pull that nothing has used yet (<see cref="ImagePuller.UnpackedAsync"/> makes it).
/// </param>
/// <param name="Size">Bytes of its config and layer blobs as stored.</param>
/// <param name="Created">The config's created time (or when it was stored, when the config has none).</param>
/// <param name="Names">Its names (normalized references), sorted; empty for a dangling image.</param>
public sealed record StoredImage(
    Descriptor Manifest,
    Digest ConfigDigest,
    string? TopSnapshot,
    long Size,
    DateTimeOffset Created,
    IReadOnlyList<string> Names)
{
    /// <summary>The 12 hex digits Docker shows as IMAGE ID.</summary>
    public string ShortId => ConfigDigest.Hex[..12];
}

/// <summary>No image in the local store matches what the user named.</summary>
public sealed class ImageNotFoundException(string message) : Exception(message);

/// <summary>The request conflicts with the store's state (an ambiguous id prefix, an image with several names removed without force).</summary>
public sealed class ImageStoreConflictException(string message) : Exception(message);
