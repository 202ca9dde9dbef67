using Builder.Snapshotter;
using Builder.Snapshotter.Mounts;

namespace Builder.Solver.Execution;

/// <summary>
/// The temporary mounts and files of one step under the data root's tmp/ folder, undone in
/// reverse order on Dispose: every mount is gone and every temporary snapshot removed, whether
/// the step succeeded, failed or was cancelled.
/// </summary>
internal sealed class Workspace : IDisposable
{
    private readonly DataRoot _root;
    private readonly Stack<Action> _undo = new();

    public Workspace(DataRoot root)
    {
        _root = root;
        Directory = Path.Combine(root.Path, "tmp", "step-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        _undo.Push(() => System.IO.Directory.Delete(Directory, recursive: true));
    }

    /// <summary>This step's private folder under tmp/.</summary>
    public string Directory { get; }

    /// <summary>A new empty folder inside the workspace.</summary>
    public string NewFolder(string name)
    {
        var path = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// A new empty folder for one secret's value: a small tmpfs of its own (mode 0700), so the value lives in
    /// memory only, never on the data root's disk, and is gone when the step ends.
    /// </summary>
    public string NewSecretFolder()
    {
        var path = NewFolder("secret-" + Guid.NewGuid().ToString("N")[..8]);
        var tree = MountedTree.Mount([new MountSpec("tmpfs", "tmpfs", [$"size={SecretFolderSize}", "mode=0700"])], path);
        _undo.Push(tree.Dispose);
        return path;
    }

    /// <summary>Room for one secret (BuildKit accepts secrets up to 500 KiB).</summary>
    private const int SecretFolderSize = 1 << 20;

    /// <summary>Mounts a read-only view of a committed snapshot (an empty folder for null) and returns its path.</summary>
    public string MountView(string? snapshot)
    {
        var target = NewFolder("view-" + _undo.Count);
        if (snapshot is null)
        {
            return target;
        }
        var key = "view/" + Guid.NewGuid().ToString("N");
        var mounts = _root.Snapshots.View(key, snapshot);
        _undo.Push(() => _root.Snapshots.Remove(key));
        var tree = MountedTree.Mount(mounts, target);
        _undo.Push(tree.Dispose);
        return target;
    }

    /// <summary>
    /// Prepares a writable snapshot on <paramref name="parent"/> and mounts it. Unless it is
    /// committed (and <see cref="Release"/>d) before Dispose, the snapshot is removed.
    /// </summary>
    public (string Key, string Path, MountedTree Tree) MountWritable(string? parent)
    {
        var target = NewFolder("rw-" + _undo.Count);
        var key = "active/" + Guid.NewGuid().ToString("N");
        var mounts = _root.Snapshots.Prepare(key, parent);
        _undo.Push(() =>
        {
            if (!_released.Contains(key))
            {
                _root.Snapshots.Remove(key);
            }
        });
        var tree = MountedTree.Mount(mounts, target);
        _undo.Push(tree.Dispose);
        return (key, target, tree);
    }

    /// <summary>Mounts a copy-on-write overlay of a host directory: writes land in the workspace and are discarded.</summary>
    public string MountHostOverlay(string hostDirectory)
    {
        var target = NewFolder("host-" + _undo.Count);
        var upper = NewFolder("host-upper-" + _undo.Count);
        var work = NewFolder("host-work-" + _undo.Count);
        var tree = MountedTree.Mount([new MountSpec("overlay", "overlay", [$"lowerdir={hostDirectory}", $"upperdir={upper}", $"workdir={work}"])], target);
        _undo.Push(tree.Dispose);
        return target;
    }

    /// <summary>Marks a writable snapshot as taken over (committed elsewhere), so Dispose leaves it.</summary>
    public void Release(string key) => _released.Add(key);

    private readonly HashSet<string> _released = [];

    /// <summary>Runs <paramref name="undo"/> at Dispose, before what was registered earlier.</summary>
    public void OnDispose(Action undo) => _undo.Push(undo);

    public void Dispose()
    {
        List<Exception>? errors = null;
        while (_undo.TryPop(out var undo))
        {
            try
            {
                undo();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or KeyNotFoundException or UnauthorizedAccessException)
            {
                (errors ??= []).Add(e);
            }
        }
        if (errors is not null)
        {
            throw new AggregateException("cleaning up a step's workspace failed", errors);
        }
    }
}
