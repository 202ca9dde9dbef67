using Builder.Snapshotter.Mounts;

namespace Builder.Snapshotter.Snapshots;

/// <summary>
/// containerd's snapshotter lifecycle. A key names an active or view snapshot while it is being used;
/// Commit gives the finished tree its committed name, which later Prepare/View calls use as parent.
/// </summary>
public interface ISnapshotter
{
    /// <summary>
    /// Creates a writable snapshot <paramref name="key"/> on top of the committed <paramref name="parent"/>
    /// (or empty) and returns the mounts that present it. Fails when the key exists or the parent is not committed.
    /// </summary>
    IReadOnlyList<MountSpec> Prepare(string key, string? parent, IReadOnlyDictionary<string, string>? labels = null);

    /// <summary>
    /// Creates a read-only snapshot <paramref name="key"/> of the committed <paramref name="parent"/>. Nothing is
    /// copied; a view can only be removed, never committed.
    /// </summary>
    IReadOnlyList<MountSpec> View(string key, string? parent, IReadOnlyDictionary<string, string>? labels = null);

    /// <summary>The mounts of an existing active or view snapshot (again, e.g. after a restart of the caller).</summary>
    IReadOnlyList<MountSpec> Mounts(string key);

    /// <summary>
    /// Turns the active snapshot <paramref name="key"/> into the committed snapshot <paramref name="name"/>. Only
    /// metadata changes: the tree stays where it is, nothing is copied, archived or hashed.
    /// </summary>
    void Commit(string name, string key, IReadOnlyDictionary<string, string>? labels = null);

    /// <summary>
    /// Removes a snapshot and its directory. A snapshot that is the parent of another cannot be removed
    /// (remove the children first); the metadata goes first so a crash never leaves a row without a tree.
    /// </summary>
    void Remove(string key);

    /// <summary>The snapshot's kind, parent, labels and times; throws <see cref="KeyNotFoundException"/> when absent.</summary>
    SnapshotInfo Stat(string key);

    /// <summary>The bytes and inodes of the snapshot's own directory, measured on disk now.</summary>
    SnapshotUsage Usage(string key);

    /// <summary>Every snapshot, optionally filtered; ordered parents before children.</summary>
    IEnumerable<SnapshotInfo> Walk(Func<SnapshotInfo, bool>? filter = null);
}
