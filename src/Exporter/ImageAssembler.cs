using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Snapshotter;
using Builder.Snapshotter.Content;
using Builder.Snapshotter.Gc;
using Builder.Exporter.Loading;
using Builder.Snapshotter.Layers;

namespace Builder.Exporter;

/// <summary>
/// Turns committed snapshots plus an image config into an image in the content store: layer blobs
/// (exported once per snapshot and options, see <see cref="LayerStore.Export"/>, or only described and left
/// lazy, see <see cref="ImageExportOptions.LazyLayers"/>), the config blob with its diff ids, and the manifest
/// blob. The same snapshots, config and SOURCE_DATE_EPOCH always give the same bytes, hence the same digests.
/// </summary>
public sealed class ImageAssembler
{
    private readonly LayerStore _layers;
    private readonly ContentStore _content;

    public ImageAssembler(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _layers = root.Layers;
        _content = root.Content;
    }

    /// <param name="layerSnapshots">Committed snapshot keys, base layer first; each one's diff against its parent is a layer.</param>
    /// <param name="config">The config as the frontend left it (history filled); rootfs is replaced.</param>
    /// <param name="lease">When given, every blob written or reused is leased so a concurrent GC keeps it.</param>
    public AssembledImage Assemble(IReadOnlyList<string> layerSnapshots, ImageConfig config, ImageExportOptions? options = null, Lease? lease = null)
    {
        ArgumentNullException.ThrowIfNull(layerSnapshots);
        ArgumentNullException.ThrowIfNull(config);
        options ??= new ImageExportOptions();
        if (!options.OciMediaTypes && options.Compression == LayerCompression.Zstd)
        {
            throw new ArgumentException("zstd compression needs OCI media types: Docker schema 2 has no zstd layer type (set oci-mediatypes=true)", nameof(options));
        }
        if (!options.OciMediaTypes && options.Annotations is { Count: > 0 })
        {
            throw new ArgumentException("annotations need OCI media types: Docker schema 2 manifests cannot carry them (set oci-mediatypes=true)", nameof(options));
        }
        var withLayers = config.History.Count(h => h.EmptyLayer != true);
        if (config.History.Count > 0 && withLayers != layerSnapshots.Count)
        {
            throw new ArgumentException($"the config's history has {withLayers} entries with a layer but the image has {layerSnapshots.Count} layers", nameof(config));
        }

        var layerOptions = new LayerExportOptions { Compression = options.Compression, Level = options.Level, SourceDateEpoch = options.SourceDateEpoch };
        var layers = new List<LayerDescriptor>(layerSnapshots.Count);
        var lazy = new List<string>();
        var describe = options.LazyLayers && options.Compression == LayerCompression.None;
        foreach (var key in layerSnapshots)
        {
            var layer = options.KeepBaseLayerBlobs ? ExistingBaseLayer(key, options.OciMediaTypes) : null;
            if (layer is null && describe)
            {
                layer = _layers.Describe(key, options.SourceDateEpoch);
                if (!_content.Exists(layer.Digest))
                {
                    lazy.Add(key);
                }
            }
            layers.Add(layer ?? _layers.Export(key, layerOptions));
        }
        // One transaction each. An exported blob is safe until then: the GC keeps the layer blobs of kept snapshots.
        lease?.Add(ResourceKind.Blob, layers.Select(l => l.Digest.ToString()));
        lease?.Add(ResourceKind.Snapshot, lazy);

        var finalConfig = Clamp(config, options.SourceDateEpoch) with
        {
            RootFs = new RootFs { DiffIds = layers.Select(l => l.DiffId.ToString()).ToArray() },
        };
        var configBlob = Store(ImageJson.Serialize(finalConfig), lease);
        var manifest = new ImageManifest
        {
            Config = new Descriptor(MediaTypes.OciConfig, configBlob.Digest, configBlob.Size),
            Layers = layers.Select(l => new Descriptor(l.MediaType, l.Digest, l.Size)).ToArray(),
            Annotations = options.Annotations is { Count: > 0 } a ? a : null,
        };
        // One media type family throughout: a kept base blob may have been pulled with Docker's layer types.
        manifest = manifest.ConvertTo(options.OciMediaTypes ? ManifestFormat.Oci : ManifestFormat.Docker);
        var bytes = manifest.ToJsonBytes();
        var manifestBlob = Store(bytes, lease);
        var descriptor = new Descriptor(manifest.MediaType ?? MediaTypes.OciManifest, manifestBlob.Digest, manifestBlob.Size);
        return new AssembledImage(descriptor, configBlob.Digest, manifest, finalConfig) { LazyLayerSnapshots = lazy };
    }

    /// <summary>The blob an applied base layer came from, when it is still stored (and fits the media type family).</summary>
    private LayerDescriptor? ExistingBaseLayer(string key, bool ociMediaTypes)
    {
        if (!key.StartsWith(LayerUnpacker.SnapshotPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        LayerCompression[] kinds = ociMediaTypes ? [LayerCompression.Gzip, LayerCompression.Zstd, LayerCompression.None] : [LayerCompression.Gzip, LayerCompression.None];
        foreach (var compression in kinds)
        {
            if (_layers.Find(key, new LayerExportOptions { Compression = compression }) is { } found && _content.Exists(found.Digest))
            {
                return found;
            }
        }
        return null;
    }

    /// <summary>
    /// With SOURCE_DATE_EPOCH, no timestamp in the config may be later than it (as BuildKit does), so a
    /// rebuild tomorrow gives the same config; an unset created time becomes the epoch.
    /// </summary>
    private static ImageConfig Clamp(ImageConfig config, long? sourceDateEpoch)
    {
        if (sourceDateEpoch is not { } seconds)
        {
            return config;
        }
        var epoch = DateTimeOffset.FromUnixTimeSeconds(seconds);
        DateTimeOffset? ClampTime(DateTimeOffset? t) => t is { } v && v <= epoch ? v : epoch;
        return config with
        {
            Created = ClampTime(config.Created),
            History = config.History.Select(h => h with { Created = ClampTime(h.Created) }).ToArray(),
        };
    }

    private BlobInfo Store(byte[] bytes, Lease? lease) => _content.WriteBytes(bytes, lease);
}
