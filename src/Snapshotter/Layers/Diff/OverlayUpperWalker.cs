using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>
/// Reads an overlay upperdir as a layer: every entry is a change; a 0/0 character device is a deletion
/// (whiteout) and a directory with trusted.overlay.opaque=y hides its lower contents. Names are visited in
/// ordinal order, one directory listing in memory at a time.
/// </summary>
internal static class OverlayUpperWalker
{
    public static IEnumerable<LayerChange> Walk(string upperDir) => WalkDir(upperDir, "");

    private static IEnumerable<LayerChange> WalkDir(string hostDir, string relDir)
    {
        var names = Directory.EnumerateFileSystemEntries(hostDir).Select(Path.GetFileName).ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var host = Path.Combine(hostDir, name!);
            var rel = relDir.Length == 0 ? name! : relDir + "/" + name;
            Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, host, Syscalls.AtSymlinkNoFollow, out var st), "lstat", host);
            if (st.Type == Syscalls.SIfChr && st.RdevMajor == 0 && st.RdevMinor == 0)
            {
                yield return new LayerChange(rel, LayerChangeKind.Whiteout, host, st);
                continue;
            }
            yield return new LayerChange(rel, LayerChangeKind.Add, host, st);
            if (st.IsDirectory)
            {
                if (Syscalls.GetXattr(host, "trusted.overlay.opaque") is [(byte)'y'])
                {
                    yield return new LayerChange(rel, LayerChangeKind.Opaque, host, st);
                }
                foreach (var child in WalkDir(host, rel))
                {
                    yield return child;
                }
            }
        }
    }
}
