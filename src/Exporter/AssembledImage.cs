using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;

namespace Builder.Exporter;

/// <summary>An image whose config, manifest and layer blobs are all in the content store.</summary>
/// <param name="Manifest">Descriptor of the manifest blob (what a tag or an index entry points to).</param>
/// <param name="ConfigDigest">Digest of the config blob (Docker's image id).</param>
public sealed record AssembledImage(Descriptor Manifest, Digest ConfigDigest, ImageManifest Document, ImageConfig Config);
