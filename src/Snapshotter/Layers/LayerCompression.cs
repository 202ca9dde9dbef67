using Builder.Oci;

namespace Builder.Snapshotter.Layers;

/// <summary>How a layer blob is compressed.</summary>
public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}

/// <summary>A layer blob in the content store: compressed digest and size, and the diff id (sha256 of the tar).</summary>
public sealed record LayerDescriptor(Digest Digest, long Size, Digest DiffId, string MediaType);

/// <summary>Options of a layer export.</summary>
public sealed record LayerExportOptions
{
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>gzip level 1-9 (default 6, as gzip and pigz); zstd level 1-19 (default 3).</summary>
    public int? Level { get; init; }

    /// <summary>SOURCE_DATE_EPOCH: mtimes later than this are written as this (seconds since the epoch).</summary>
    public long? SourceDateEpoch { get; init; }

    /// <summary>The key under which the result is remembered: a different option gives different bytes.</summary>
    internal string CacheKey => Compression switch
    {
        LayerCompression.None => "none",
        LayerCompression.Gzip => "gzip-" + (Level ?? 6),
        _ => "zstd-" + (Level ?? 3),
    } + (SourceDateEpoch is { } e ? "@" + e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
}
