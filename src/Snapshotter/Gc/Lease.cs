using Builder.Snapshotter.Metadata;

namespace Builder.Snapshotter.Gc;

/// <summary>
/// A running build's claim on snapshots and blobs it made but nothing else references yet. While the lease
/// lives (and has not expired) GC keeps its resources; disposing it releases them.
/// </summary>
public sealed class Lease : IDisposable
{
    private readonly MetadataDb _db;

    internal Lease(MetadataDb db, string id)
    {
        _db = db;
        Id = id;
    }

    public string Id { get; }

    public void Add(ResourceKind kind, string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        _db.Run(c => c.Exec("INSERT OR IGNORE INTO lease_resources(lease_id,kind,ref) VALUES($l,$k,$r)", null,
            ("$l", Id), ("$k", kind.ToString()), ("$r", reference)));
    }

    /// <summary>Adds several resources of one kind in one transaction.</summary>
    public void Add(ResourceKind kind, IEnumerable<string> references)
    {
        ArgumentNullException.ThrowIfNull(references);
        var list = references.ToList();
        _db.InTransaction((c, tx) =>
        {
            foreach (var reference in list)
            {
                ArgumentException.ThrowIfNullOrEmpty(reference);
                c.Exec("INSERT OR IGNORE INTO lease_resources(lease_id,kind,ref) VALUES($l,$k,$r)", tx, ("$l", Id), ("$k", kind.ToString()), ("$r", reference));
            }
            return 0;
        });
    }

    public void Dispose() => _db.Run(c => c.Exec("DELETE FROM leases WHERE id=$l", null, ("$l", Id)));
}
