using Builder.Exporter.Loading;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.References;
using Builder.Snapshotter.Content;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Layers.Apply;
using Builder.Snapshotter.Layers.Diff;

namespace Builder.Exporter.Store;

/// <summary>
/// <c>builder import</c>, like <c>docker import</c>: a root filesystem (a directory, or a plain, gzip or zstd
/// tar) becomes a one-layer image for this host's platform, with a default PATH, recorded under a name.
/// The layer is stored uncompressed, as builds store theirs.
/// </summary>
public sealed class ImageImporter
{
    /// <summary>The PATH Docker and BuildKit give an image without one.</summary>
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private readonly ImageStore _store;

    public ImageImporter(ImageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <param name="source">A directory holding the root filesystem, or a tar of it.</param>
    /// <param name="created">The image's created time (default: now).</param>
    public async Task<StoredImage> ImportAsync(string source, ImageReference name, DateTimeOffset? created = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(name);
        var root = _store.Root;
        using var lease = root.Gc.CreateLease(TimeSpan.FromHours(6));
        BlobInfo layer;
        if (Directory.Exists(source))
        {
            layer = await Task.Run(() =>
            {
                using var writer = root.Content.OpenWriter();
                new LayerTarWriter(writer, null).Write(TreeComparer.Walk(Path.GetFullPath(source), null));
                return writer.Commit(lease: lease);
            }, cancellationToken).ConfigureAwait(false);
        }
        else if (File.Exists(source))
        {
            await using var file = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            await using var tar = Decompression.Open(file, out _);
            await using var writer = root.Content.OpenWriter();
            await tar.CopyToAsync(writer, 1 << 20, cancellationToken).ConfigureAwait(false);
            layer = writer.Commit(lease: lease);
        }
        else
        {
            throw new FileNotFoundException($"cannot import {source}: no such file or directory");
        }

        var when = created ?? DateTimeOffset.UtcNow;
        var platform = Platform.Host;
        var config = new ImageConfig
        {
            Created = when,
            Architecture = platform.Architecture,
            Os = platform.Os,
            Variant = platform.Variant,
            Config = new ContainerConfig { Env = [DefaultPath] },
            RootFs = new RootFs { DiffIds = [layer.Digest.ToString()] },
            History = [new HistoryEntry { Created = when, CreatedBy = "builder import", Comment = $"imported from {Path.GetFileName(Path.TrimEndingDirectorySeparator(source))}" }],
        };
        var configBlob = Store(ImageJson.Serialize(config), lease);
        var manifest = new ImageManifest
        {
            Config = new Descriptor(MediaTypes.OciConfig, configBlob.Digest, configBlob.Size),
            Layers = [new Descriptor(MediaTypes.OciLayerTar, layer.Digest, layer.Size)],
        };
        var top = new LayerUnpacker(root).Unpack(manifest, config, lease, cancellationToken);
        var manifestBlob = Store(manifest.ToJsonBytes(), lease);
        return _store.Record(new Descriptor(MediaTypes.OciManifest, manifestBlob.Digest, manifestBlob.Size), manifest, config, top, [name]);
    }

    private BlobInfo Store(byte[] bytes, Lease lease)
    {
        using var writer = _store.Root.Content.OpenWriter();
        writer.Write(bytes);
        return writer.Commit(lease: lease);
    }
}
