using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Snapshotter.Layers;

namespace Builder.Exporter.Store;

/// <summary>
/// <c>type=image</c>: assembles a build's result into the local store. New layers are lazy by default: a
/// hash-only pass gives each one's digest and nothing is written until a save, push or archive export reads
/// the blob (regenerated from the snapshot the image keeps, verified; compression is paid then too, never by
/// a build). Base-image layers keep the blobs they were pulled with, and the image is recorded under each name.
/// </summary>
public sealed class StoreExporter
{
    private readonly ImageStore _store;
    private readonly ImageAssembler _assembler;

    public StoreExporter(ImageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _assembler = new ImageAssembler(store.Root);
    }

    /// <summary>The options a store export uses unless told otherwise: uncompressed lazy layers, OCI media types, base blobs kept.</summary>
    public static ImageExportOptions DefaultOptions { get; } = new() { Compression = LayerCompression.None, KeepBaseLayerBlobs = true, LazyLayers = true };

    /// <param name="layerSnapshots">Committed snapshots, base layer first; each one's diff against its parent is a layer.</param>
    /// <param name="topSnapshot">The committed snapshot of the final root filesystem (normally the last layer snapshot).</param>
    public StoredImage Export(IReadOnlyList<string> layerSnapshots, string? topSnapshot, ImageConfig config, IReadOnlyList<ImageReference> names, ImageExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(layerSnapshots);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(names);
        // The lease keeps the new blobs from a concurrent GC until the image's own references exist.
        using var lease = _store.Root.Gc.CreateLease(TimeSpan.FromHours(6));
        if (topSnapshot is not null)
        {
            lease.Add(Snapshotter.Gc.ResourceKind.Snapshot, topSnapshot);
        }
        var image = _assembler.Assemble(layerSnapshots, config, options ?? DefaultOptions, lease);
        return _store.Record(image.Manifest, image.Document, image.Config, topSnapshot, names, image.LazyLayerSnapshots);
    }
}
