using Builder.Oci;

namespace Builder.Snapshotter.Content;

/// <summary>
/// Regenerates blobs the content store was told about but never given: lazy layer blobs, whose bytes are
/// the deterministic tar of a committed snapshot (see <see cref="Layers.LayerStore.Describe"/>).
/// </summary>
internal interface ILazyBlobSource
{
    /// <summary>The size of a blob this source can regenerate, or null when it knows no recipe for it.</summary>
    long? SizeOf(Digest digest);

    /// <summary>
    /// Writes the blob's bytes to <paramref name="destination"/> and checks them on the way: when they do not
    /// hash to <paramref name="digest"/> (or have another size) it throws <see cref="InvalidDataException"/>
    /// after the last byte, so the caller must discard what it received. False when there is no recipe.
    /// </summary>
    bool TryWrite(Digest digest, Stream destination);
}
