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
/// remembers it with the snapshot; <see cref="Describe"/> does the same for an uncompressed layer without
/// writing the blob (a lazy layer, regenerated when read); <see cref="Apply"/> turns a layer blob into a new
/// committed snapshot.
/// </summary>
public sealed class LayerStore : ILazyBlobSource
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
        db.Execute("CREATE INDEX IF NOT EXISTS layers_digest ON layers(digest)");
        // The content store asks this store for lazy layer blobs it does not hold yet.
        content.LazySource = this;
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
            if (Find(snapshotKey, options) is { } known)
            {
                if (_content.Exists(known.Digest))
                {
                    return known;
                }
                if (options.Compression == LayerCompression.None)
                {
                    // A lazy layer (Describe): write it now, verified against the digest an image may already name.
                    _content.OpenRead(known.Digest).Dispose();
                    return known;
                }
            }
            var layer = Write(Changes(snapshotKey, info), options);
            Remember(snapshotKey, options.CacheKey, layer);
            return layer;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The uncompressed layer of committed snapshot <paramref name="snapshotKey"/> without its blob: one hash-only
    /// pass over the tar <see cref="Export"/> would write gives the digest (which is also the diff id) and the
    /// size, remembered with the snapshot as an export is. Nothing is written to the content store; reading the
    /// blob later (<see cref="ContentStore.OpenRead"/>, <see cref="ContentStore.WriteTo"/>) regenerates the same
    /// bytes from the snapshot and verifies them. Whoever names the digest must keep the snapshot alive (a GC
    /// reference): until the blob is read, the snapshot is its only source.
    /// </summary>
    public LayerDescriptor Describe(string snapshotKey, long? sourceDateEpoch = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(snapshotKey);
        var options = new LayerExportOptions { Compression = LayerCompression.None, SourceDateEpoch = sourceDateEpoch };
        var info = _snapshots.Stat(snapshotKey);
        if (info.Kind != SnapshotKind.Committed)
        {
            throw new InvalidOperationException($"cannot describe the layer of snapshot '{snapshotKey}': it is not committed");
        }
        var gate = _exporting.GetOrAdd(snapshotKey + "\0" + options.CacheKey, _ => new SemaphoreSlim(1, 1));
        gate.Wait();
        try
        {
            if (Find(snapshotKey, options) is { } known)
            {
                return known; // stored or lazy: either way its bytes are known
            }
            using var hashing = new PipelinedHashStream();
            new LayerTarWriter(hashing, sourceDateEpoch).Write(Changes(snapshotKey, info));
            var digest = hashing.Complete();
            var layer = new LayerDescriptor(digest, hashing.Written, digest, MediaTypes.OciLayerTar);
            Remember(snapshotKey, options.CacheKey, layer);
            return layer;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    long? ILazyBlobSource.SizeOf(Digest digest) => Recipes(digest).FirstOrDefault()?.Size;

    /// <inheritdoc />
    bool ILazyBlobSource.TryWrite(Digest digest, Stream destination)
    {
        if (Recipes(digest).FirstOrDefault() is not { } recipe)
        {
            return false;
        }
        var info = _snapshots.Stat(recipe.SnapshotKey);
        using var hashing = new HashingWriteStream(destination);
        new LayerTarWriter(hashing, recipe.SourceDateEpoch).Write(Changes(recipe.SnapshotKey, info));
        var actual = hashing.Digest();
        if (actual != digest || hashing.Written != recipe.Size)
        {
            throw new InvalidDataException(
                $"layer {digest} cannot be regenerated from snapshot '{recipe.SnapshotKey}': its files now give {actual} ({hashing.Written} bytes, " +
                $"the build recorded {recipe.Size}), so the snapshot was changed outside the builder. Nothing was stored; " +
                "remove the images that use this layer (builder rmi) and build them again with --no-cache");
        }
        return true;
    }

    /// <summary>A committed snapshot whose uncompressed layer (written with this SOURCE_DATE_EPOCH) is a blob.</summary>
    private sealed record Recipe(string SnapshotKey, long Size, long? SourceDateEpoch);

    /// <summary>The snapshots an uncompressed layer blob can be regenerated from, newest first.</summary>
    private List<Recipe> Recipes(Digest digest) => _db.Run(c =>
    {
        using var cmd = c.Command("""
            SELECT s.key, l.size, l.compression FROM layers l JOIN snapshots s ON s.id = l.snapshot_id
            WHERE l.digest = $d AND (l.compression = 'none' OR l.compression LIKE 'none@%') AND s.kind = $committed
            ORDER BY s.id DESC
            """, null, ("$d", digest.ToString()), ("$committed", (int)SnapshotKind.Committed));
        using var r = cmd.ExecuteReader();
        var list = new List<Recipe>();
        while (r.Read())
        {
            var compression = r.GetString(2);
            var at = compression.IndexOf('@', StringComparison.Ordinal);
            long? epoch = at < 0 ? null : long.Parse(compression.AsSpan(at + 1), System.Globalization.CultureInfo.InvariantCulture);
            list.Add(new Recipe(r.GetString(0), r.GetInt64(1), epoch));
        }
        return list;
    });

    /// <summary>The changes of a committed snapshot against its parent, in the order its tar lists them.</summary>
    private IEnumerable<LayerChange> Changes(string snapshotKey, SnapshotInfo info) => _snapshots.StoresDiffs
        ? OverlayUpperWalker.Walk(_snapshots.FsPath(snapshotKey))
        : TreeComparer.Walk(_snapshots.FsPath(snapshotKey), info.Parent is null ? null : _snapshots.FsPath(info.Parent));

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
