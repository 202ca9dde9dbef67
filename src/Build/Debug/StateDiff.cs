using Builder.Snapshotter;

namespace Builder.Build.Debug;

/// <summary>How a path differs between the state before a step and after it.</summary>
public enum PathChange
{
    Added,
    Changed,
    Deleted,
}

/// <summary>
/// What a step added, changed and deleted: its state after against the state before, both mounted
/// read-only and walked side by side. Comparing the merged trees (not the raw layer) works the same for
/// both snapshot drivers: the overlay driver's whiteouts (0/0 character devices) and opaque directories
/// (trusted.overlay.opaque) are already applied by the overlay mount, and the copy driver stores full
/// trees. A path is changed when its type, mode, owner, size, modification time or link target differ;
/// everything below an added directory is listed, a deleted directory is one entry.
/// </summary>
public static class StateDiff
{
    public static IEnumerable<(PathChange Change, string Path)> Compare(DataRoot root, string? before, string? after)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var beforeView = SnapshotView.Open(root, before);
        using var afterView = SnapshotView.Open(root, after);
        foreach (var change in Walk(beforeView.Path, afterView.Path, "/"))
        {
            yield return change;
        }
    }

    private static IEnumerable<(PathChange, string)> Walk(string? beforeDir, string? afterDir, string relDir)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var dir in new[] { beforeDir, afterDir })
        {
            if (dir is not null)
            {
                foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
                {
                    names.Add(Path.GetFileName(entry));
                }
            }
        }
        foreach (var name in names)
        {
            var rel = relDir + name;
            var b = beforeDir is null ? null : Path.Combine(beforeDir, name);
            var a = afterDir is null ? null : Path.Combine(afterDir, name);
            var bs = b is null ? null : FileMetadata.Read(b);
            var @as = a is null ? null : FileMetadata.Read(a);
            if (bs is null && @as is null)
            {
                continue;
            }
            if (bs is null)
            {
                yield return (PathChange.Added, rel);
            }
            else if (@as is null)
            {
                yield return (PathChange.Deleted, rel);
            }
            else if (Differs(bs.Value, @as.Value, b!, a!))
            {
                yield return (PathChange.Changed, rel);
            }
            var bDir = bs is { IsDirectory: true } ? b : null;
            var aDir = @as is { IsDirectory: true } ? a : null;
            if (bDir is not null || aDir is not null)
            {
                foreach (var change in Walk(bDir, aDir, rel + "/"))
                {
                    // Below a deleted directory only the directory itself is listed, as docker diff does.
                    if (!(aDir is null && change.Item1 == PathChange.Deleted))
                    {
                        yield return change;
                    }
                }
            }
        }
    }

    private static bool Differs(FileMetadata before, FileMetadata after, string beforePath, string afterPath)
    {
        if (before.Mode != after.Mode || before.Uid != after.Uid || before.Gid != after.Gid)
        {
            return true;
        }
        if (before.IsDirectory)
        {
            return false; // a directory's size and time change with its entries, which are listed themselves
        }
        if (before.IsSymlink)
        {
            return new FileInfo(beforePath).LinkTarget != new FileInfo(afterPath).LinkTarget;
        }
        return before.Size != after.Size || before.MtimeSeconds != after.MtimeSeconds || before.MtimeNanoseconds != after.MtimeNanoseconds;
    }
}
