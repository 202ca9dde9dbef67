using System.Collections.Concurrent;
using Builder.Oci;
using Builder.Snapshotter.Content;
using Builder.Snapshotter.Layers.Apply;
using Builder.Snapshotter.Layers.Diff;
using Builder.Snapshotter.Metadata;
using Builder.Snapshotter.Paths;
using Builder.Snapshotter.Snapshots;

namespace Builder.Snapshotter.Layers;

/// <summary>
/// Layers of snapshots: <see cref="Export"/> turns a committed snapshot into a layer blob once and
/// remembers it with the snapshot; <see cref="Apply"/> turns a layer blob into a new committed snapshot.
/// </summary>
public sealed class LayerStore
{
    private readonly SnapshotStore _snapshots;
    private readonly ContentStore _content;
    private readonly MetadataDb _db;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _exporting = new(StringComparer.Ordinal);

    internal LayerStore(SnapshotStore snapshots, ContentStore content, MetadataDb db)
    {
        _snapshots = snapshots;
        _content = content;
        _db = db;
    }

    /// <summary>The layer already computed for this snapshot and options, or null.</summary>
    public LayerDescriptor? Find(string snapshotKey, LayerExportOptions? options = null)
    {
        options ??= new LayerExportOptions();
        var id = _snapshots.IdOf(snapshotKey);
        return _db.Run(c =>
        {
            using var cmd = c.Command("SELECT digest,size,diff_id,media_type FROM layers WHERE snapshot_id=$id AND compression=$c", null,
                ("$id", id), ("$c", options.CacheKey));
            using var r = cmd.ExecuteReader();
            return r.Read() ? new LayerDescriptor(Digest.Parse(r.GetString(0)), r.GetInt64(1), Digest.Parse(r.GetString(2)), r.GetString(3)) : null;
        });
    }

    /// <summary>
    /// The layer of committed snapshot <paramref name="snapshotKey"/> (its changes against its parent) as a
    /// blob in the content store. Computed on first call only: the tar is read straight from the snapshot's
    /// directory, compressed while it is written, both digests computed on the way; later calls (also
    /// concurrent ones) get the stored result.
    /// </summary>
    public LayerDescriptor Export(string snapshotKey, LayerExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotKey);
        options ??= new LayerExportOptions();
        var info = _snapshots.Stat(snapshotKey);
        if (info.Kind != SnapshotKind.Committed)
        {
            throw new InvalidOperationException($"cannot export snapshot '{snapshotKey}': it is not committed");
        }
        var gate = _exporting.GetOrAdd(snapshotKey + "\0" + options.CacheKey, _ => new SemaphoreSlim(1, 1));
        gate.Wait();
        try
        {
            if (Find(snapshotKey, options) is { } known && _content.Exists(known.Digest))
            {
                return known;
            }
            var changes = _snapshots.StoresDiffs
                ? OverlayUpperWalker.Walk(_snapshots.FsPath(snapshotKey))
                : TreeComparer.Walk(_snapshots.FsPath(snapshotKey), info.Parent is null ? null : _snapshots.FsPath(info.Parent));
            var layer = Write(changes, options);
            Remember(snapshotKey, options.CacheKey, layer);
            return layer;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Applies a layer (plain, gzip or zstd tar) on top of committed <paramref name="parent"/> and commits the
    /// result as <paramref name="name"/>. When <paramref name="blob"/> describes the compressed blob it was read
    /// from, that blob is remembered as this snapshot's layer so an export never recomputes it. On failure
    /// the half-applied snapshot is removed and nothing is committed.
    /// </summary>
    public Digest Apply(Stream layer, string? parent, string name, Descriptor? blob = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = "apply-" + Guid.NewGuid().ToString("N");
        _snapshots.Prepare(key, parent);
        try
        {
            Digest diffId;
            using (var decompressed = Decompression.Open(layer, out _))
            using (var hashing = new HashingReadStream(decompressed))
            using (var root = RootedDirectory.Open(_snapshots.FsPath(key)))
            {
                var applier = _snapshots.StoresDiffs
                    ? new LayerApplier(root, ApplyMode.OverlayUpper, lowerDirs: _snapshots.LowerDirs(parent))
                    : new LayerApplier(root, ApplyMode.FullTree);
                applier.Apply(hashing);
                diffId = hashing.Digest();
            }
            _snapshots.Commit(name, key);
            if (blob is not null)
            {
                var compression = blob.MediaType.EndsWith("zstd", StringComparison.Ordinal) ? new LayerExportOptions { Compression = LayerCompression.Zstd }
                    : blob.MediaType.EndsWith("tar", StringComparison.Ordinal) ? new LayerExportOptions { Compression = LayerCompression.None }
                    : new LayerExportOptions();
                Remember(name, compression.CacheKey, new LayerDescriptor(blob.Digest, blob.Size, diffId, blob.MediaType));
            }
            return diffId;
        }
        catch
        {
            try
            {
                _snapshots.Remove(key);
            }
            catch (KeyNotFoundException)
            {
                // already committed under its name; leave it
            }
            throw;
        }
    }

    private LayerDescriptor Write(IEnumerable<LayerChange> changes, LayerExportOptions options)
    {
        using var blob = _content.OpenWriter();
        Digest? diffId;
        string mediaType;
        switch (options.Compression)
        {
            case LayerCompression.None:
                // Uncompressed, the blob is the tar: its digest (computed by the writer) is the diff id; hash once.
                new LayerTarWriter(blob, options.SourceDateEpoch).Write(changes);
                diffId = null;
                mediaType = MediaTypes.OciLayerTar;
                break;
            case LayerCompression.Gzip:
                using (var gzip = new ParallelGzipStream(blob, options.Level ?? 6))
                using (var hashing = new HashingWriteStream(gzip))
                {
                    new LayerTarWriter(hashing, options.SourceDateEpoch).Write(changes);
                    gzip.Finish();
                    diffId = hashing.Digest();
                }
                mediaType = MediaTypes.OciLayerGzip;
                break;
            default:
                using (var zstd = new ZstdSharp.CompressionStream(blob, options.Level ?? 3, leaveOpen: true))
                {
                    using var hashing = new HashingWriteStream(zstd);
                    new LayerTarWriter(hashing, options.SourceDateEpoch).Write(changes);
                    diffId = hashing.Digest();
                }
                mediaType = MediaTypes.OciLayerZstd;
                break;
        }
        var info = blob.Commit();
        return new LayerDescriptor(info.Digest, info.Size, diffId ?? info.Digest, mediaType);
    }

    private void Remember(string snapshotKey, string cacheKey, LayerDescriptor layer)
    {
        var id = _snapshots.IdOf(snapshotKey);
        _db.Run(c => c.Exec(
            "INSERT OR REPLACE INTO layers(snapshot_id,compression,digest,size,diff_id,media_type) VALUES($id,$c,$d,$s,$diff,$m)", null,
            ("$id", id), ("$c", cacheKey), ("$d", layer.Digest.ToString()), ("$s", layer.Size), ("$diff", layer.DiffId.ToString()), ("$m", layer.MediaType)));
    }
}
