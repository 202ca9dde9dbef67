using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Builder.Corpus.Tests.Trees;

/// <summary>
/// Reads a directory on disk (a <c>-o type=local</c> output) into an <see cref="FsTree"/> with
/// lstat-exact types, modes, owners and inodes. statx is used because its struct layout is the
/// same on every architecture.
/// </summary>
public static class DirectoryTreeReader
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    public static FsTree Read(string root)
    {
        var tree = new FsTree();
        Walk(root, "", tree);
        return tree;
    }

    /// <summary>Every regular file below <paramref name="root"/>, never following symlinks.</summary>
    public static IEnumerable<string> RegularFiles(string root)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(root))
        {
            var type = Lstat(path).Mode & 0xF000;
            if (type == 0x8000)
            {
                yield return path;
            }
            else if (type == 0x4000)
            {
                foreach (var inner in RegularFiles(path))
                {
                    yield return inner;
                }
            }
        }
    }

    private static void Walk(string hostDir, string treeDir, FsTree tree)
    {
        foreach (var hostPath in Directory.EnumerateFileSystemEntries(hostDir).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(hostPath);
            var treePath = treeDir + "/" + name;
            var st = Lstat(hostPath);
            var type = (st.Mode & 0xF000) switch
            {
                0x8000 => EntryType.File,
                0x4000 => EntryType.Dir,
                0xA000 => EntryType.Symlink,
                0x1000 => EntryType.Fifo,
                0x2000 => EntryType.Char,
                0x6000 => EntryType.Block,
                0xC000 => EntryType.Socket,
                _ => throw new InvalidOperationException($"{hostPath}: unknown file type {st.Mode:x}"),
            };
            string? sha = null;
            string? target = null;
            string? device = null;
            switch (type)
            {
                case EntryType.File:
                    using (var stream = File.OpenRead(hostPath))
                    {
                        sha = Convert.ToHexStringLower(SHA256.HashData(stream));
                    }
                    break;
                case EntryType.Symlink:
                    target = new FileInfo(hostPath).LinkTarget;
                    break;
                case EntryType.Char or EntryType.Block:
                    device = $"{st.RdevMajor},{st.RdevMinor}";
                    break;
            }
            tree.Set(new FsEntry(treePath, type, st.Mode & 0xFFF, st.Uid, st.Gid,
                type == EntryType.File ? st.Size : 0, sha, target, device));
            if (type != EntryType.Dir && st.Nlink > 1)
            {
                tree.SetInode(treePath, $"{st.DevMajor}:{st.DevMinor}:{st.Ino}");
            }
            if (type == EntryType.Dir)
            {
                Walk(hostPath, treePath, tree);
            }
        }
    }

    private readonly record struct Stat(int Mode, uint Uid, uint Gid, uint Nlink, ulong Ino, long Size,
        uint RdevMajor, uint RdevMinor, uint DevMajor, uint DevMinor);

    private static unsafe Stat Lstat(string path)
    {
        var buffer = stackalloc byte[256];
        if (StatX(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            throw new IOException($"statx {path}: errno {Marshal.GetLastPInvokeError()}");
        }
        return new Stat(
            Mode: *(ushort*)(buffer + 28),
            Uid: *(uint*)(buffer + 20),
            Gid: *(uint*)(buffer + 24),
            Nlink: *(uint*)(buffer + 16),
            Ino: *(ulong*)(buffer + 32),
            Size: (long)*(ulong*)(buffer + 40),
            RdevMajor: *(uint*)(buffer + 128),
            RdevMinor: *(uint*)(buffer + 132),
            DevMajor: *(uint*)(buffer + 136),
            DevMinor: *(uint*)(buffer + 140));
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern unsafe int StatX(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);
}
