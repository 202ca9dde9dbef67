using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;

namespace Builder.Exporter;

/// <summary>
/// An image whose config and manifest blobs are in the content store, and whose layer blobs are too, or are
/// lazy: regenerated from <see cref="LazyLayerSnapshots"/> when first read (see <see cref="ImageExportOptions.LazyLayers"/>).
/// </summary>
/// <param name="Manifest">Descriptor of the manifest blob (what a tag or an index entry points to).</param>
/// <param name="ConfigDigest">Digest of the config blob (Docker's image id).</param>
public sealed record AssembledImage(Descriptor Manifest, Digest ConfigDigest, ImageManifest Document, ImageConfig Config)
{
    /// <summary>The snapshots the lazy layer blobs are regenerated from; whoever keeps the image must keep these.</summary>
    public IReadOnlyList<string> LazyLayerSnapshots { get; init; } = [];
}
