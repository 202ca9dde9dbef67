using Builder.Snapshotter;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Metadata;
using Builder.Snapshotter.Snapshots;

namespace Builder.Solver.Cache;

/// <summary>
/// The solver's cache in metadata.db: cache key → committed snapshot. A record holds a GC
/// reference on its snapshot; a record whose snapshot is gone is dropped on lookup, so a later
/// build never trusts it.
/// </summary>
public sealed class CacheRecords
{
    private readonly DataRoot _root;

    public CacheRecords(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        root.Metadata.Execute("""
            CREATE TABLE IF NOT EXISTS solver_cache (
                key TEXT PRIMARY KEY, snapshot TEXT NOT NULL, created INTEGER NOT NULL, last_used INTEGER NOT NULL);
            """);
    }

    /// <summary>The committed snapshot recorded for <paramref name="key"/>, or null.</summary>
    public string? Find(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var snapshot = _root.Metadata.Run(c => c.Scalar("SELECT snapshot FROM solver_cache WHERE key=$k", null, ("$k", key)) as string);
        if (snapshot is null)
        {
            return null;
        }
        if (!IsCommitted(snapshot))
        {
            Drop(key);
            return null;
        }
        _root.Metadata.Run(c => c.Exec("UPDATE solver_cache SET last_used=$t WHERE key=$k", null, ("$t", Now()), ("$k", key)));
        return snapshot;
    }

    /// <summary>Records <paramref name="snapshot"/> as the result of <paramref name="key"/>, replacing an older record.</summary>
    public void Add(string key, string snapshot)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(snapshot);
        _root.Gc.RemoveReferences(ReferenceOwner.Cache, key);
        _root.Gc.AddReference(ReferenceOwner.Cache, key, ResourceKind.Snapshot, snapshot);
        var now = Now();
        _root.Metadata.Run(c => c.Exec(
            "INSERT INTO solver_cache(key,snapshot,created,last_used) VALUES($k,$s,$t,$t) ON CONFLICT(key) DO UPDATE SET snapshot=$s, created=$t, last_used=$t",
            null, ("$k", key), ("$s", snapshot), ("$t", now)));
    }

    /// <summary>Forgets a record (its snapshot stays while anything else references it).</summary>
    public void Drop(string key)
    {
        _root.Metadata.Run(c => c.Exec("DELETE FROM solver_cache WHERE key=$k", null, ("$k", key)));
        _root.Gc.RemoveReferences(ReferenceOwner.Cache, key);
    }

    /// <summary>Forgets every record (<c>builder prune --all</c>); returns how many there were.</summary>
    public int DropAll()
    {
        var keys = _root.Metadata.Run(c =>
        {
            using var cmd = c.Command("SELECT key FROM solver_cache", null);
            using var r = cmd.ExecuteReader();
            var list = new List<string>();
            while (r.Read())
            {
                list.Add(r.GetString(0));
            }
            return list;
        });
        foreach (var key in keys)
        {
            Drop(key);
        }
        return keys.Count;
    }

    /// <summary>How many records there are.</summary>
    public long Count() => _root.Metadata.Run(c => (long)c.Scalar("SELECT count(*) FROM solver_cache", null)!);

    private bool IsCommitted(string snapshot)
    {
        try
        {
            return _root.Snapshots.Stat(snapshot).Kind == SnapshotKind.Committed;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
