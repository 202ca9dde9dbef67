using Builder.Snapshotter.Mounts;

namespace Builder.Snapshotter.Snapshots;

/// <summary>
/// How snapshot directories become mountable trees. The overlay driver stacks layers; the copying
/// driver (no overlayfs) gives each snapshot a full copy of its parent's tree.
/// </summary>
internal interface ISnapshotDriver
{
    /// <summary>"overlayfs" or "copy", reported by <see cref="SnapshotStore.DriverName"/>.</summary>
    string Name { get; }

    /// <summary>True when a committed snapshot's directory holds only its own changes (an overlay upperdir).</summary>
    bool StoresDiffs { get; }

    /// <summary>Fills a new snapshot's directory; <paramref name="parentChain"/> lists committed fs dirs, nearest first.</summary>
    void Create(SnapshotKind kind, SnapshotPaths paths, IReadOnlyList<string> parentChain);

    /// <summary>The mounts that present the snapshot's tree.</summary>
    IReadOnlyList<MountSpec> Mounts(SnapshotKind kind, SnapshotPaths paths, IReadOnlyList<string> parentChain);
}

/// <summary>The directories of one snapshot: <c>&lt;root&gt;/snapshots/&lt;id&gt;/{fs,work}</c>.</summary>
internal sealed record SnapshotPaths(string Dir)
{
    public string Fs => Path.Combine(Dir, "fs");
    public string Work => Path.Combine(Dir, "work");
}
