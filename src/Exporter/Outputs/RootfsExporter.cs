using Builder.Exporter.Archives;
using Builder.Snapshotter;
using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Layers.Diff;
using Builder.Snapshotter.Mounts;
using Builder.Snapshotter.Paths;

namespace Builder.Exporter.Outputs;

/// <summary>
/// <c>type=local</c> and <c>type=tar</c>: the final root filesystem of a build as files in a directory (owners,
/// modes, times, symlinks, hardlinks and xattrs kept) or as one deterministic tar, streamed. Both read a
/// read-only view of the top snapshot; a snapshot whose directory already holds the whole tree (the copy
/// driver, or a single overlay layer) is read in place without mounting anything.
/// </summary>
public sealed class RootfsExporter
{
    private readonly DataRoot _root;

    public RootfsExporter(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
    }

    /// <summary>Copies the tree of <paramref name="topSnapshot"/> (empty when null) into the target directory.</summary>
    public Task WriteDirectoryAsync(string? topSnapshot, OutputTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.WriteDirectoryAsync((dir, ct) => Task.Run(() =>
        {
            if (topSnapshot is null)
            {
                return;
            }
            using var view = OpenView(topSnapshot);
            using var dest = RootedDirectory.Open(dir);
            new TreeCopier(dest, new CopyOptions()).CopyContents(view.Path, "", "");
        }, ct), cancellationToken);
    }

    /// <summary>Writes the tree of <paramref name="topSnapshot"/> (empty when null) as one tar, entries sorted, times clamped by SOURCE_DATE_EPOCH.</summary>
    public Task WriteTarAsync(string? topSnapshot, OutputTarget target, long? sourceDateEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.WriteAsync((stream, ct) => Task.Run(() =>
        {
            var writer = new LayerTarWriter(stream, sourceDateEpoch);
            if (topSnapshot is null)
            {
                writer.Write([]);
                return;
            }
            using var view = OpenView(topSnapshot);
            writer.Write(TreeComparer.Walk(view.Path, null));
        }, ct), cancellationToken);
    }

    private RootfsView OpenView(string snapshot)
    {
        var info = _root.Snapshots.Stat(snapshot);
        if (!_root.Snapshots.StoresDiffs || info.Parent is null)
        {
            return new RootfsView(_root.Snapshots.FsPath(snapshot), null, null);
        }
        var key = "export-view-" + Guid.NewGuid().ToString("N");
        var mounts = _root.Snapshots.View(key, snapshot);
        var target = Path.Combine(_root.Path, "tmp", key);
        Directory.CreateDirectory(target);
        try
        {
            return new RootfsView(target, MountedTree.Mount(mounts, target), () =>
            {
                Directory.Delete(target);
                _root.Snapshots.Remove(key);
            });
        }
        catch
        {
            Directory.Delete(target);
            _root.Snapshots.Remove(key);
            throw;
        }
    }

    /// <summary>A tree to read; unmounts and removes the view snapshot at dispose.</summary>
    private sealed class RootfsView(string path, MountedTree? mount, Action? cleanup) : IDisposable
    {
        public string Path { get; } = path;

        public void Dispose()
        {
            mount?.Dispose();
            cleanup?.Invoke();
        }
    }
}
