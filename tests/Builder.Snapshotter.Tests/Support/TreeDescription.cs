using System.Security.Cryptography;
using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Tests.Support;

/// <summary>A comparable description of a directory tree: one line per entry with everything a layer carries.</summary>
public static class TreeDescription
{
    /// <param name="withMtime">Include file mtimes (seconds) for files and symlinks.</param>
    public static List<string> Capture(string root, bool withMtime = true, bool withRootDir = false)
    {
        var lines = new List<string>();
        var inodes = new Dictionary<ulong, string>();
        if (withRootDir)
        {
            Syscalls.Statx(Syscalls.AtFdCwd, root, Syscalls.AtSymlinkNoFollow, out var st);
            lines.Add($". dir {Convert.ToString(st.Permissions, 8)} {st.Uid}:{st.Gid}");
        }
        Walk(root, "", lines, inodes, withMtime);
        return lines;
    }

    private static void Walk(string dir, string rel, List<string> lines, Dictionary<ulong, string> inodes, bool withMtime)
    {
        var names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            var host = Path.Combine(dir, name!);
            var path = rel.Length == 0 ? name! : rel + "/" + name;
            Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, host, Syscalls.AtSymlinkNoFollow, out var st), "lstat", host);
            var xattrs = st.IsSymlink ? "" : string.Join(",", Syscalls.ListXattrs(host)
                .Where(x => !x.StartsWith("trusted.overlay.", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                .Select(x => x + "=" + Convert.ToHexString(Syscalls.GetXattr(host, x) ?? [])));
            var owner = $"{st.Uid}:{st.Gid}";
            var mode = Convert.ToString(st.Permissions, 8);
            var mtime = withMtime ? " t=" + (st.MtimeNs / 1_000_000_000) : "";
            switch (st.Type)
            {
                case Syscalls.SIfDir:
                    lines.Add($"{path} dir {mode} {owner} [{xattrs}]");
                    Walk(host, path, lines, inodes, withMtime);
                    break;
                case Syscalls.SIfReg:
                    var link = "";
                    if (st.Nlink > 1)
                    {
                        link = inodes.TryGetValue(st.Inode, out var first) ? " link=" + first : "";
                        inodes.TryAdd(st.Inode, path);
                    }
                    using (var f = File.OpenRead(host))
                    {
                        lines.Add($"{path} file {mode} {owner} {st.Size} {Convert.ToHexString(SHA256.HashData(f))[..16]}{link} [{xattrs}]{mtime}");
                    }
                    break;
                case Syscalls.SIfLnk:
                    lines.Add($"{path} symlink -> {Syscalls.Readlinkat(Syscalls.AtFdCwd, host)} {owner}{mtime}");
                    break;
                default:
                    lines.Add($"{path} special {Convert.ToString(st.Type, 8)} {mode} {owner} {st.RdevMajor},{st.RdevMinor}{mtime}");
                    break;
            }
        }
    }
}
