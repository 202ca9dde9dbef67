using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>
/// The layer between two full trees (the copying snapshotter): paths added or changed in
/// <c>upper</c> (type, mode, owner, size, mtime, link target or xattrs differ), and whiteouts for paths
/// of <c>lower</c> that are gone. An unchanged directory is listed only when something below it changed:
/// it waits on a stack of pending ancestors that the first change below flushes. Streams: memory holds
/// one directory listing per level and that stack, never the tree.
/// </summary>
internal static class TreeComparer
{
    public static IEnumerable<LayerChange> Walk(string upper, string? lower) => Compare(upper, lower, "", []);

    private static IEnumerable<LayerChange> Compare(string upperDir, string? lowerDir, string relDir, List<LayerChange> pending)
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
        foreach (var name in names)
        {
            var rel = relDir.Length == 0 ? name : relDir + "/" + name;
            var u = Path.Combine(upperDir, name);
            var l = lowerDir is null ? null : Path.Combine(lowerDir, name);
            var hasU = Syscalls.Statx(Syscalls.AtFdCwd, u, Syscalls.AtSymlinkNoFollow, out var us) == 0;
            FileStat ls = default;
            var hasL = l is not null && Syscalls.Statx(Syscalls.AtFdCwd, l, Syscalls.AtSymlinkNoFollow, out ls) == 0;
            var changes = new List<LayerChange>(2);
            if (!hasU)
            {
                changes.Add(new LayerChange(rel, LayerChangeKind.Whiteout, null, ls));
            }
            else if (us.IsDirectory)
            {
                var entry = new LayerChange(rel, LayerChangeKind.Add, u, us);
                var lowerIsDir = hasL && ls.IsDirectory;
                if (lowerIsDir && SameMetadata(us, ls, u, l!))
                {
                    // Unchanged itself: listed only if something below changes.
                    pending.Add(entry);
                    foreach (var change in Compare(u, l, rel, pending))
                    {
                        yield return change;
                    }
                    if (pending.Count > 0 && ReferenceEquals(pending[^1], entry))
                    {
                        pending.RemoveAt(pending.Count - 1);
                    }
                    continue;
                }
                if (hasL && !lowerIsDir)
                {
                    changes.Add(new LayerChange(rel, LayerChangeKind.Whiteout, null, ls));
                }
                changes.Add(entry);
                foreach (var change in Flush(pending, changes))
                {
                    yield return change;
                }
                foreach (var change in Compare(u, lowerIsDir ? l : null, rel, pending))
                {
                    yield return change;
                }
                continue;
            }
            else if (!hasL || !SameMetadata(us, ls, u, l!))
            {
                if (hasL && ls.IsDirectory)
                {
                    changes.Add(new LayerChange(rel, LayerChangeKind.Whiteout, null, ls));
                }
                changes.Add(new LayerChange(rel, LayerChangeKind.Add, u, us));
            }
            foreach (var change in Flush(pending, changes))
            {
                yield return change;
            }
        }
    }

    /// <summary>The pending ancestors (now known to contain a change), then the changes.</summary>
    private static List<LayerChange> Flush(List<LayerChange> pending, List<LayerChange> changes)
    {
        if (changes.Count == 0)
        {
            return changes;
        }
        var all = new List<LayerChange>(pending.Count + changes.Count);
        all.AddRange(pending);
        pending.Clear();
        all.AddRange(changes);
        return all;
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
