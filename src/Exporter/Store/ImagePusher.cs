using Builder.Oci;
using Builder.Oci.Manifests;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Snapshotter.Layers;
using Builder.Snapshotter.Layers.Diff;
using Builder.Snapshotter.Metadata;

namespace Builder.Exporter.Store;

/// <summary>
/// Pushes a stored image to a registry. Uncompressed layers (how builds store them) are compressed here, once:
/// the compressed blob is kept in the content store, remembered per source blob and compression, and referenced
/// by the image, so the next push reuses it. Layers already compressed go as they are, so pushing back a pulled
/// image gives the same manifest digest. Blobs the registry has are skipped (HEAD) or mounted from another
/// repository of the same registry that the image was named in.
/// </summary>
public sealed class ImagePusher
{
    private const int ParallelUploads = 3;
    private readonly ImageStore _store;
    private readonly RegistryClient _client;

    public ImagePusher(ImageStore store, RegistryClient client)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(client);
        _store = store;
        _client = client;
        store.Root.Metadata.Execute("""
            CREATE TABLE IF NOT EXISTS blob_compressions (
                source TEXT NOT NULL, compression TEXT NOT NULL,
                digest TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (source, compression));
            """);
    }

    /// <summary>Pushes <paramref name="image"/> as <paramref name="target"/> (by its tag, or by digest) and returns the pushed manifest's descriptor.</summary>
    public async Task<Descriptor> PushAsync(StoredImage image, ImageReference target, LayerCompression compression = LayerCompression.Gzip, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(target);
        var document = PrepareManifest(image, compression);
        var manifest = document.Manifest!;
        var repository = _client.GetRepository(target);
        var mountFrom = image.Names
            .Select(n => ImageReference.TryParse(n, out var r, out _) ? r : null)
            .Where(r => r is not null && r.Registry == target.Registry && r.Repository != target.Repository)
            .Select(r => r!.Repository)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var options = new BlobPushOptions { MountFrom = mountFrom };
        using (var gate = new SemaphoreSlim(ParallelUploads))
        {
            await Task.WhenAll(manifest.Layers.Append(manifest.Config).Select(async blob =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await using var stream = _store.Root.Content.OpenRead(blob.Digest);
                    await repository.Uploads.PushAsync(blob, stream, options, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
        return await repository.Manifests.PutAsync(document, target.Digest is null ? target.Tag ?? ImageReference.DefaultTag : null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stored manifest as is when every layer is compressed; else a manifest with compressed layers (stored too).</summary>
    private ManifestDocument PrepareManifest(StoredImage image, LayerCompression compression)
    {
        var stored = ManifestDocument.Parse(_store.ReadBlob(image.Manifest.Digest), image.Manifest.MediaType);
        var manifest = stored.Manifest ?? throw new InvalidDataException($"{image.Manifest.Digest} is not an image manifest");
        if (compression == LayerCompression.None || !manifest.Layers.Any(IsUncompressed))
        {
            return stored;
        }
        var docker = manifest.Format == ManifestFormat.Docker;
        if (docker)
        {
            compression = LayerCompression.Gzip; // Docker schema 2 has no zstd layer type
        }
        var layers = manifest.Layers.Select(l => IsUncompressed(l) ? Compress(image, l, compression, docker) : l).ToArray();
        var converted = ManifestDocument.From(manifest with { Layers = layers });
        using (var writer = _store.Root.Content.OpenWriter())
        {
            writer.Write(converted.Bytes.Span);
            writer.Commit(converted.Digest, converted.Bytes.Length);
        }
        _store.AddBlobReference(image, converted.Digest);
        return converted;
    }

    private static bool IsUncompressed(Descriptor layer) => layer.MediaType is MediaTypes.OciLayerTar or MediaTypes.DockerLayerTar;

    private Descriptor Compress(StoredImage image, Descriptor layer, LayerCompression compression, bool docker)
    {
        var mediaType = compression == LayerCompression.Zstd ? MediaTypes.OciLayerZstd : docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip;
        var key = compression.ToString().ToLowerInvariant();
        var known = _store.Root.Metadata.Run(c =>
        {
            using var cmd = c.Command("SELECT digest,size FROM blob_compressions WHERE source=$s AND compression=$c", null, ("$s", layer.Digest.ToString()), ("$c", key));
            using var r = cmd.ExecuteReader();
            return r.Read() ? (Digest.Parse(r.GetString(0)), r.GetInt64(1)) : ((Digest, long)?)null;
        });
        if (known is { } k && _store.Root.Content.Exists(k.Item1))
        {
            _store.AddBlobReference(image, k.Item1);
            return layer with { MediaType = mediaType, Digest = k.Item1, Size = k.Item2 };
        }
        using var lease = _store.Root.Gc.CreateLease(TimeSpan.FromHours(1));
        using var writer = _store.Root.Content.OpenWriter();
        // A lazy layer is regenerated straight into the compressor (its tar is never stored) and verified on the way.
        if (compression == LayerCompression.Zstd)
        {
            using var zstd = new ZstdSharp.CompressionStream(writer, 3, leaveOpen: true);
            _store.Root.Content.WriteTo(layer.Digest, zstd);
        }
        else
        {
            using var gzip = new ParallelGzipStream(writer, 6);
            _store.Root.Content.WriteTo(layer.Digest, gzip);
            gzip.Finish();
        }
        var info = writer.Commit(lease: lease);
        _store.AddBlobReference(image, info.Digest);
        _store.Root.Metadata.Run(c => c.Exec("INSERT OR REPLACE INTO blob_compressions(source,compression,digest,size) VALUES($s,$c,$d,$n)", null,
            ("$s", layer.Digest.ToString()), ("$c", key), ("$d", info.Digest.ToString()), ("$n", info.Size)));
        return layer with { MediaType = mediaType, Digest = info.Digest, Size = info.Size };
    }
}
