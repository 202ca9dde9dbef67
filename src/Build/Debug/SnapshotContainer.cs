using Builder.Snapshotter;
using Builder.Snapshotter.Mounts;

namespace Builder.Build.Debug;

/// <summary>
/// A throwaway container root: a writable snapshot over a committed one, mounted under the data root's
/// tmp/. <c>builder run</c> and <c>builder debug</c> (local, or on a build server) run their processes in it; its changes are discarded
/// at Dispose unless <see cref="Commit"/> kept them first.
/// </summary>
public sealed class SnapshotContainer : IDisposable
{
    private readonly DataRoot _root;
    private readonly string _workspace;
    private readonly string _key;
    private MountedTree? _tree;
    private bool _committed;

    private SnapshotContainer(DataRoot root, string workspace, string key, string rootFs)
    {
        _root = root;
        _workspace = workspace;
        _key = key;
        RootFs = rootFs;
    }

    /// <summary>The mounted root filesystem for <see cref="Engine.ContainerSpec.RootFs"/>.</summary>
    public string RootFs { get; }

    /// <summary>Prepares and mounts a writable snapshot over <paramref name="parent"/> (an empty root when null).</summary>
    public static SnapshotContainer Create(DataRoot root, string? parent, string purpose)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var workspace = Path.Combine(root.Path, "tmp", purpose + "-" + suffix);
        var rootFs = Path.Combine(workspace, "rootfs");
        Directory.CreateDirectory(rootFs);
        var key = purpose + "/" + suffix;
        var container = new SnapshotContainer(root, workspace, key, rootFs);
        try
        {
            container._tree = MountedTree.Mount(root.Snapshots.Prepare(key, parent), rootFs);
            return container;
        }
        catch
        {
            container.Dispose();
            throw;
        }
    }

    /// <summary>Unmounts and commits the container's changes as the snapshot <paramref name="name"/> (its parent is the one given at Create).</summary>
    public void Commit(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        _tree?.Dispose();
        _tree = null;
        _root.Snapshots.Commit(name, _key, labels);
        _committed = true;
    }

    public void Dispose()
    {
        _tree?.Dispose();
        _tree = null;
        if (!_committed)
        {
            try
            {
                _root.Snapshots.Remove(_key);
            }
            catch (KeyNotFoundException)
            {
                // Prepare failed before the row existed.
            }
        }
        if (Directory.Exists(_workspace))
        {
            Directory.Delete(_workspace, recursive: true);
        }
    }
}
