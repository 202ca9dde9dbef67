using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>
/// The layer between two full trees (the copying snapshotter): paths added or changed in
/// <c>upper</c> (type, mode, owner, size, mtime, link target or xattrs differ), and whiteouts for paths
/// of <c>lower</c> that are gone. A changed directory is listed only when its own metadata changed or
/// something below it did, so unchanged subtrees produce nothing.
/// </summary>
internal static class TreeComparer
{
    public static IEnumerable<LayerChange> Walk(string upper, string? lower)
    {
        var changes = new List<LayerChange>();
        Compare(upper, lower, "", changes);
        return changes;
    }

    // Returns true when anything under the directory changed. Buffers only the changes, not the trees.
    private static bool Compare(string upperDir, string? lowerDir, string relDir, List<LayerChange> changes)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var e in Directory.EnumerateFileSystemEntries(upperDir))
        {
            names.Add(Path.GetFileName(e));
        }
        if (lowerDir is not null && Directory.Exists(lowerDir))
        {
            foreach (var e in Directory.EnumerateFileSystemEntries(lowerDir))
            {
                names.Add(Path.GetFileName(e));
            }
        }
        var any = false;
        foreach (var name in names)
        {
            var rel = relDir.Length == 0 ? name : relDir + "/" + name;
            var u = Path.Combine(upperDir, name);
            var l = lowerDir is null ? null : Path.Combine(lowerDir, name);
            var hasU = Syscalls.Statx(Syscalls.AtFdCwd, u, Syscalls.AtSymlinkNoFollow, out var us) == 0;
            FileStat ls = default;
            var hasL = l is not null && Syscalls.Statx(Syscalls.AtFdCwd, l, Syscalls.AtSymlinkNoFollow, out ls) == 0;
            if (!hasU)
            {
                changes.Add(new LayerChange(rel, LayerChangeKind.Whiteout, null, ls));
                any = true;
                continue;
            }
            if (us.IsDirectory)
            {
                var mark = changes.Count;
                var sameDir = hasL && ls.IsDirectory && SameMetadata(us, ls, u, l!);
                changes.Add(new LayerChange(rel, LayerChangeKind.Add, u, us));
                if (hasL && !ls.IsDirectory)
                {
                    changes.Insert(mark, new LayerChange(rel, LayerChangeKind.Whiteout, null, ls));
                }
                var below = Compare(u, hasL && ls.IsDirectory ? l : null, rel, changes);
                if (sameDir && !below)
                {
                    changes.RemoveAt(mark);
                    continue;
                }
                any = true;
                continue;
            }
            if (hasL && SameMetadata(us, ls, u, l!))
            {
                continue;
            }
            if (hasL && ls.IsDirectory)
            {
                changes.Add(new LayerChange(rel, LayerChangeKind.Whiteout, null, ls));
            }
            changes.Add(new LayerChange(rel, LayerChangeKind.Add, u, us));
            any = true;
        }
        return any;
    }

    private static bool SameMetadata(FileStat a, FileStat b, string pa, string pb)
    {
        if (a.Mode != b.Mode || a.Uid != b.Uid || a.Gid != b.Gid || a.RdevMajor != b.RdevMajor || a.RdevMinor != b.RdevMinor)
        {
            return false;
        }
        if (!a.IsDirectory && (a.Size != b.Size || a.MtimeNs != b.MtimeNs))
        {
            return false;
        }
        if (a.IsSymlink && Syscalls.Readlinkat(Syscalls.AtFdCwd, pa) != Syscalls.Readlinkat(Syscalls.AtFdCwd, pb))
        {
            return false;
        }
        var xa = Syscalls.ListXattrs(pa);
        var xb = Syscalls.ListXattrs(pb);
        if (xa.Count != xb.Count)
        {
            return false;
        }
        foreach (var name in xa)
        {
            var va = Syscalls.GetXattr(pa, name);
            var vb = Syscalls.GetXattr(pb, name);
            if (va is null || vb is null || !va.AsSpan().SequenceEqual(vb))
            {
                return false;
            }
        }
        return true;
    }
}
