namespace Builder.Snapshotter.Snapshots;

/// <summary>What Stat and Walk report about a snapshot.</summary>
public sealed record SnapshotInfo(
    string Key,
    string? Parent,
    SnapshotKind Kind,
    IReadOnlyDictionary<string, string> Labels,
    DateTimeOffset Created,
    DateTimeOffset Updated);

/// <summary>Disk use of one snapshot's own layer (not its parents): bytes allocated and inodes.</summary>
public sealed record SnapshotUsage(long Size, long Inodes);
