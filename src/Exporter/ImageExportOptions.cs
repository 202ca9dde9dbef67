using Builder.Snapshotter.Layers;

namespace Builder.Exporter;

/// <summary>How an image is assembled: layer compression, media type family, reproducible timestamps.</summary>
public sealed record ImageExportOptions
{
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>Compression level (gzip 1-9, zstd 1-19); null keeps the compressor's default.</summary>
    public int? Level { get; init; }

    /// <summary>True (the default) writes OCI media types; false writes Docker schema 2 (no zstd, no annotations).</summary>
    public bool OciMediaTypes { get; init; } = true;

    /// <summary>SOURCE_DATE_EPOCH in seconds: clamps file mtimes, the config's created time and history times.</summary>
    public long? SourceDateEpoch { get; init; }

    /// <summary>
    /// True keeps the blob a base-image layer (a <c>layers/&lt;chainid&gt;</c> snapshot applied from a pulled or
    /// loaded blob) already has, whatever its compression, instead of exporting it again in <see cref="Compression"/>.
    /// </summary>
    public bool KeepBaseLayerBlobs { get; init; }

    /// <summary>
    /// True with <see cref="Compression"/> None: new layers are described, not written (a hash-only pass gives
    /// their digests, see <see cref="Snapshotter.Layers.LayerStore.Describe"/>); their blobs are regenerated from
    /// the snapshots when first read. The caller must keep <see cref="AssembledImage.LazyLayerSnapshots"/> alive.
    /// </summary>
    public bool LazyLayers { get; init; }

    /// <summary>Annotations written on the manifest (OCI media types only).</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
