using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;

namespace Builder.Exporter.Loading;

/// <summary>An image read from an archive: manifest and config in the content store, layers applied as snapshots.</summary>
/// <param name="Names">The names the archive gives it (RepoTags, or index.json annotations), possibly none.</param>
/// <param name="TopSnapshot">The committed snapshot of the image's root filesystem; null for an image without layers.</param>
public sealed record LoadedImage(
    Descriptor Manifest,
    ImageManifest Document,
    ImageConfig Config,
    IReadOnlyList<string> Names,
    string? TopSnapshot);
