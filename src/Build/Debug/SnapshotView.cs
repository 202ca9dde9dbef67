using Builder.Snapshotter;
using Builder.Snapshotter.Mounts;

namespace Builder.Build.Debug;

/// <summary>
/// A committed snapshot's whole tree mounted read-only under the data root's tmp/ (an empty folder for
/// no snapshot), for reading it; unmounted and removed at Dispose.
/// </summary>
public sealed class SnapshotView : IDisposable
{
    private readonly DataRoot _root;
    private readonly string? _key;
    private MountedTree? _tree;

    private SnapshotView(DataRoot root, string? key, string path)
    {
        _root = root;
        _key = key;
        Path = path;
    }

    /// <summary>Where the tree is mounted.</summary>
    public string Path { get; }

    /// <summary>Mounts <paramref name="snapshot"/> read-only (an empty folder when null).</summary>
    public static SnapshotView Open(DataRoot root, string? snapshot)
    {
        ArgumentNullException.ThrowIfNull(root);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var path = System.IO.Path.Combine(root.Path, "tmp", "debug-view-" + suffix);
        Directory.CreateDirectory(path);
        var key = snapshot is null ? null : "debug-view/" + suffix;
        var view = new SnapshotView(root, key, path);
        try
        {
            if (snapshot is not null)
            {
                view._tree = MountedTree.Mount(root.Snapshots.View(key!, snapshot), path);
            }
            return view;
        }
        catch
        {
            view.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _tree?.Dispose();
        _tree = null;
        if (_key is not null)
        {
            try
            {
                _root.Snapshots.Remove(_key);
            }
            catch (KeyNotFoundException)
            {
                // View failed before the row existed.
            }
        }
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path);
        }
    }
}
