namespace Builder.Snapshotter.Gc;

/// <summary>What a GC reference or lease points at.</summary>
public enum ResourceKind
{
    Snapshot,
    Blob,
}

/// <summary>Who holds a reference: an image in the local store, or a cache record of the solver.</summary>
public enum ReferenceOwner
{
    Image,
    Cache,
}

/// <summary>Options of <see cref="GarbageCollector.Prune"/>.</summary>
public sealed record PruneOptions
{
    /// <summary>Cache records unused for longer than this are removed.</summary>
    public TimeSpan? KeepDuration { get; init; }

    /// <summary>After that, the oldest cache records go until the store uses at most this many bytes.</summary>
    public long? KeepStorage { get; init; }
}

/// <summary>What a collection removed.</summary>
public sealed record GcResult(int SnapshotsRemoved, int BlobsRemoved, long BytesFreed, int CacheRecordsRemoved = 0);
