using Builder.Oci;
using Builder.Snapshotter.Metadata;
using Builder.Snapshotter.Snapshots;

namespace Builder.Snapshotter.Gc;

/// <summary>
/// Mark and sweep over the store. Roots: references held by images and cache records, resources of
/// live leases (running builds), and every active or view snapshot (in use right now). Marked snapshots
/// keep their parent chains and their layer blobs; everything else is removed, children before parents.
/// </summary>
public sealed class GarbageCollector
{
    private readonly DataRoot _root;
    private readonly Lock _lock = new();

    internal GarbageCollector(DataRoot root) => _root = root;

    private MetadataDb Db => _root.Metadata;

    /// <summary>Records that <paramref name="owner"/> (an image name or cache key) uses a snapshot or blob.</summary>
    public void AddReference(ReferenceOwner ownerKind, string owner, ResourceKind kind, string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentException.ThrowIfNullOrEmpty(reference);
        Db.Run(c => c.Exec("INSERT OR REPLACE INTO gc_references(owner_kind,owner,kind,ref,created) VALUES($ok,$o,$k,$r,$t)", null,
            ("$ok", ownerKind.ToString()), ("$o", owner), ("$k", kind.ToString()), ("$r", reference), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
    }

    /// <summary>Like <see cref="AddReference"/> for several resources of one owner, in one transaction.</summary>
    public void AddReferences(ReferenceOwner ownerKind, string owner, IEnumerable<(ResourceKind Kind, string Reference)> references)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(references);
        var list = references.ToList();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Db.InTransaction((c, tx) =>
        {
            foreach (var (kind, reference) in list)
            {
                ArgumentException.ThrowIfNullOrEmpty(reference);
                c.Exec("INSERT OR REPLACE INTO gc_references(owner_kind,owner,kind,ref,created) VALUES($ok,$o,$k,$r,$t)", tx,
                    ("$ok", ownerKind.ToString()), ("$o", owner), ("$k", kind.ToString()), ("$r", reference), ("$t", now));
            }
            return 0;
        });
    }

    /// <summary>Drops every reference of <paramref name="owner"/> (an image deleted, a cache record dropped).</summary>
    public void RemoveReferences(ReferenceOwner ownerKind, string owner) =>
        Db.Run(c => c.Exec("DELETE FROM gc_references WHERE owner_kind=$ok AND owner=$o", null, ("$ok", ownerKind.ToString()), ("$o", owner)));

    /// <summary>Starts a lease; with <paramref name="expiresAfter"/> it stops protecting anything after that time even if never disposed.</summary>
    public Lease CreateLease(TimeSpan? expiresAfter = null)
    {
        var id = "lease-" + Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        Db.Run(c => c.Exec("INSERT INTO leases(id,created,expires) VALUES($i,$c,$e)", null,
            ("$i", id), ("$c", now.ToUnixTimeMilliseconds()), ("$e", expiresAfter is { } e ? now.Add(e).ToUnixTimeMilliseconds() : null)));
        return new Lease(Db, id);
    }

    /// <summary>Removes every snapshot and blob no root reaches.</summary>
    public GcResult Collect()
    {
        lock (_lock)
        {
            // List what exists before reading the roots: anything made after the listing is not a
            // candidate, and anything listed was leased (lease first, then publish) before the roots are read.
            var snapshots = _root.Snapshots.Walk().ToDictionary(s => s.Key);
            var blobs = _root.Content.List().ToList();
            var (rootSnapshots, rootBlobs) = Roots();
            var keep = new HashSet<string>(StringComparer.Ordinal);
            foreach (var s in snapshots.Values)
            {
                if (s.Kind != SnapshotKind.Committed || rootSnapshots.Contains(s.Key))
                {
                    for (var k = s.Key; k is not null && keep.Add(k); k = snapshots.TryGetValue(k, out var info) ? info.Parent : null)
                    {
                    }
                }
            }
            var keepBlobs = new HashSet<string>(rootBlobs, StringComparer.Ordinal);
            foreach (var key in keep)
            {
                foreach (var digest in LayerBlobs(key))
                {
                    keepBlobs.Add(digest);
                }
            }

            var removedSnapshots = 0;
            long freed = 0;
            // Children have larger ids than their parents: newest first removes leaves before their parents.
            foreach (var s in snapshots.Values.Where(s => !keep.Contains(s.Key)).OrderByDescending(s => _root.Snapshots.IdOf(s.Key)).ToList())
            {
                freed += _root.Snapshots.Usage(s.Key).Size;
                _root.Snapshots.Remove(s.Key);
                removedSnapshots++;
            }
            var removedBlobs = 0;
            foreach (var blob in blobs)
            {
                if (!keepBlobs.Contains(blob.Digest.ToString()))
                {
                    _root.Content.Delete(blob.Digest);
                    freed += blob.Size;
                    removedBlobs++;
                }
            }
            return new GcResult(removedSnapshots, removedBlobs, freed);
        }
    }

    /// <summary>
    /// buildkit's prune: drops cache records older than <see cref="PruneOptions.KeepDuration"/>, then the oldest
    /// ones until the store fits <see cref="PruneOptions.KeepStorage"/>, then collects. Images and leases are kept.
    /// </summary>
    public GcResult Prune(PruneOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var records = Db.Run(c =>
        {
            using var cmd = c.Command("SELECT owner, min(created) FROM gc_references WHERE owner_kind='Cache' GROUP BY owner ORDER BY min(created)", null);
            using var r = cmd.ExecuteReader();
            var list = new List<(string Owner, DateTimeOffset Created)>();
            while (r.Read())
            {
                list.Add((r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1))));
            }
            return list;
        });
        var removed = 0;
        var now = DateTimeOffset.UtcNow;
        var index = 0;
        for (; index < records.Count && options.KeepDuration is { } age && now - records[index].Created > age; index++)
        {
            RemoveReferences(ReferenceOwner.Cache, records[index].Owner);
            removed++;
        }
        var result = Collect();
        var freed = result.BytesFreed;
        var snapshotsRemoved = result.SnapshotsRemoved;
        var blobsRemoved = result.BlobsRemoved;
        while (options.KeepStorage is { } limit && index < records.Count && StorageUsed() > limit)
        {
            RemoveReferences(ReferenceOwner.Cache, records[index++].Owner);
            removed++;
            var step = Collect();
            freed += step.BytesFreed;
            snapshotsRemoved += step.SnapshotsRemoved;
            blobsRemoved += step.BlobsRemoved;
        }
        return new GcResult(snapshotsRemoved, blobsRemoved, freed, removed);
    }

    /// <summary>Bytes used by all snapshots and blobs.</summary>
    public long StorageUsed() =>
        _root.Snapshots.Walk().Sum(s => _root.Snapshots.Usage(s.Key).Size) + _root.Content.List().Sum(b => b.Size);

    private (HashSet<string> Snapshots, HashSet<string> Blobs) Roots() => Db.Run(c =>
    {
        var snapshots = new HashSet<string>(StringComparer.Ordinal);
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        using var cmd = c.Command("""
            SELECT kind, ref FROM gc_references
            UNION SELECT r.kind, r.ref FROM lease_resources r JOIN leases l ON l.id = r.lease_id
                  WHERE l.expires IS NULL OR l.expires > $now
            """, null, ("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            (r.GetString(0) == nameof(ResourceKind.Snapshot) ? snapshots : blobs).Add(r.GetString(1));
        }
        return (snapshots, blobs);
    });

    private List<string> LayerBlobs(string snapshotKey)
    {
        var id = _root.Snapshots.IdOf(snapshotKey);
        return Db.Run(c =>
        {
            using var cmd = c.Command("SELECT digest FROM layers WHERE snapshot_id=$id", null, ("$id", id));
            using var r = cmd.ExecuteReader();
            var list = new List<string>();
            while (r.Read())
            {
                list.Add(r.GetString(0));
            }
            return list;
        });
    }
}
