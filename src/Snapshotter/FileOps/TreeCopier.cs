using Builder.Snapshotter.Native;
using Builder.Snapshotter.Paths;
using Microsoft.Win32.SafeHandles;

namespace Builder.Snapshotter.FileOps;

/// <summary>
/// Copies a file or a directory tree from a host path into a <see cref="RootedDirectory"/>. The source is
/// walked with lstat and never through a symlink (symlinks are copied as symlinks); the destination is
/// written with *at calls under fds resolved inside its root. Hardlinks within one copy stay hardlinks.
/// Owner, mode, mtime and xattrs are kept unless the options override them.
/// </summary>
internal sealed class TreeCopier
{
    private readonly CopyOptions _options;
    private readonly RootedDirectory _dest;
    private readonly Dictionary<(ulong Dev, ulong Ino), string> _hardlinks = [];
    private bool _kernelCopy = true;
    private FileCopyWorkers? _workers;

    [ThreadStatic]
    private static byte[]? t_buffer;

    public TreeCopier(RootedDirectory dest, CopyOptions options)
    {
        _dest = dest;
        _options = options;
    }

    /// <summary>Copies the source entry <paramref name="sourcePath"/> to <paramref name="destRelative"/> (cleaned, not the root).</summary>
    public void Copy(string sourcePath, string destRelative, string excludeBase)
    {
        Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, sourcePath, Syscalls.AtSymlinkNoFollow, out var st), "lstat", sourcePath);
        using var parent = _dest.OpenParent(destRelative, out var name, create: true, created: _options.ChownCreated);
        WithWorkers(st.IsDirectory, () => CopyEntry(parent, name, sourcePath, st, destRelative, excludeBase));
    }

    /// <summary>Copies the contents of directory <paramref name="sourceDir"/> into <paramref name="destRelative"/> (created as needed).</summary>
    public void CopyContents(string sourceDir, string destRelative, string excludeBase)
    {
        using var dir = _dest.MakeDirectories(destRelative, _options.ChownCreated);
        WithWorkers(true, () => CopyChildren(dir, sourceDir, destRelative, excludeBase));
    }

    /// <summary>Runs one top-level copy, with worker threads for its files when it is a tree.</summary>
    private void WithWorkers(bool tree, Action copy)
    {
        _workers = tree ? FileCopyWorkers.ForThisMachine() : null;
        try
        {
            copy();
        }
        finally
        {
            _workers?.Dispose();
            _workers = null;
        }
    }

    private void CopyChildren(DirFd dir, string sourceDir, string destRelative, string excludeBase)
    {
        var names = new List<string>();
        foreach (var e in new DirectoryInfo(sourceDir).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false }))
        {
            names.Add(e.Name);
        }
        names.Sort(StringComparer.Ordinal);
        FileCopyWorkers.Batch? files = null;
        try
        {
            foreach (var name in names)
            {
                var src = Path.Combine(sourceDir, name);
                Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, src, Syscalls.AtSymlinkNoFollow, out var st), "lstat", src);
                var (dest, exclude) = (ContainedPath.Join(destRelative, name), ContainedPath.Join(excludeBase, name));
                if (_workers is not null && st.Type == Syscalls.SIfReg && st.Nlink == 1)
                {
                    // A file with one link touches nothing shared: it can be copied beside the walk. Hardlinked
                    // files stay on this thread, so a link is only made to a copy that is complete.
                    (files ??= _workers.NewBatch()).Add(() => CopyEntry(dir, name, src, st, dest, exclude));
                }
                else
                {
                    CopyEntry(dir, name, src, st, dest, exclude);
                }
            }
        }
        finally
        {
            files?.Wait(); // before the caller sets this directory's times and closes it
        }
    }

    private void CopyEntry(DirFd parent, string name, string src, FileStat st, string destRelative, string excludeRelative)
    {
        var excludedDirectory = false;
        if (_options.Excludes is { } excludes && excludeRelative.Length > 0 && excludes(excludeRelative))
        {
            // An excluded directory is still walked when a '!' pattern may re-include something
            // inside it; it is kept only if something was.
            if (!st.IsDirectory || _options.MayReincludeBelow?.Invoke(excludeRelative) != true)
            {
                return;
            }
            excludedDirectory = true;
        }
        var (uid, gid) = _options.Owner ?? ((int)st.Uid, (int)st.Gid);
        var mode = _options.Mode is { } m ? m(st.Permissions, st.IsDirectory) : st.Permissions;
        var describe = _dest.Describe(destRelative);

        var exists = Syscalls.Statx(parent.Value, name, Syscalls.AtSymlinkNoFollow, out var existing) == 0;
        if (exists && !(existing.IsDirectory && st.IsDirectory))
        {
            RootedDirectory.RemoveAt(parent.Value, name, describe);
        }

        switch (st.Type)
        {
            case Syscalls.SIfDir:
                if (!exists || !existing.IsDirectory)
                {
                    Errno.Check(Syscalls.Mkdirat(parent.Value, name, 0x1C0), "mkdir", describe);
                }
                var childFd = Syscalls.Openat(parent.Value, name, Syscalls.OPath | Syscalls.ODirectory | Syscalls.ONoFollow | Syscalls.OCloExec, 0);
                Errno.Check(childFd, "open", describe);
                using (var child = new DirFd(childFd))
                {
                    CopyChildren(child, src, destRelative, excludeRelative);
                }
                if (excludedDirectory && !exists && !Directory.EnumerateFileSystemEntries(parent.ProcPath(name)).Any())
                {
                    Errno.Check(Syscalls.Unlinkat(parent.Value, name, Syscalls.AtRemoveDir), "rmdir", describe);
                    return;
                }
                break;
            case Syscalls.SIfReg:
                if (st.Nlink > 1 && _hardlinks.TryGetValue((st.Device, st.Inode), out var first))
                {
                    LinkTo(first, parent, name, describe);
                    return; // a hardlink shares the first copy's inode and metadata
                }
                CopyFile(parent, name, src, st.Size, describe);
                if (st.Nlink > 1)
                {
                    _hardlinks[(st.Device, st.Inode)] = destRelative;
                }
                break;
            case Syscalls.SIfLnk:
                var target = Syscalls.Readlinkat(Syscalls.AtFdCwd, src) ?? throw Errno.Exception(Errno.Last, "readlink", src);
                Errno.Check(Syscalls.Symlinkat(target, parent.Value, name), "symlink", describe);
                break;
            default:
                Errno.Check(Syscalls.Mknodat(parent.Value, name, st.Type | 0x180, Syscalls.MakeDev(st.RdevMajor, st.RdevMinor)), "mknod", describe);
                break;
        }

        Errno.Check(Syscalls.Fchownat(parent.Value, name, uid, gid, Syscalls.AtSymlinkNoFollow), "chown", describe);
        if (!st.IsSymlink)
        {
            Errno.Check(Syscalls.Fchmodat(parent.Value, name, mode, 0), "chmod", describe);
            if (_options.PreserveXattrs)
            {
                CopyXattrs(src, parent.ProcPath(name));
            }
        }
        Errno.Check(Syscalls.Utimensat(parent.Value, name, st.MtimeNs / 1_000_000_000, st.MtimeNs % 1_000_000_000, Syscalls.AtSymlinkNoFollow), "utimes", describe);
    }

    private void LinkTo(string firstRelative, DirFd parent, string name, string describe)
    {
        using var oldParent = _dest.OpenParent(firstRelative, out var oldName, create: false);
        Errno.Check(Syscalls.Linkat(oldParent.Value, oldName, parent.Value, name, 0), "link", describe);
    }

    private void CopyFile(DirFd parent, string name, string src, long size, string describe)
    {
        var fd = Syscalls.Openat(parent.Value, name, Syscalls.OWrOnly | Syscalls.OCreat | Syscalls.OExcl | Syscalls.ONoFollow | Syscalls.OCloExec, 0x180);
        Errno.Check(fd, "create", describe);
        using var output = new SafeFileHandle(fd, ownsHandle: true);
        var inFd = Syscalls.Openat(Syscalls.AtFdCwd, src, Syscalls.ORdOnly | Syscalls.ONoFollow | Syscalls.OCloExec, 0);
        Errno.Check(inFd, "open", src);
        using var input = new SafeFileHandle(inFd, ownsHandle: true);
        // In-kernel copy first (no user-space buffer, and a reflink where the filesystem can); a file that
        // grew meanwhile, or a pair of filesystems the kernel cannot copy between, falls back to read/write.
        // Between two filesystems (a context into an overlay mount) the kernel refuses every file alike, so
        // after the first EXDEV this copy stops asking.
        long copied = 0;
        while (_kernelCopy && copied < size)
        {
            var n = Syscalls.CopyFileRange(inFd, 0, fd, 0, (nuint)(size - copied), 0);
            if (n <= 0)
            {
                if (n < 0 && Errno.Last == Syscalls.EXDEV)
                {
                    _kernelCopy = false;
                }
                break;
            }
            copied += n;
        }
        // pread/pwrite from where the kernel stopped: no seeks, one buffer for the whole copy.
        var buffer = t_buffer ??= new byte[1 << 20];
        int read;
        while ((read = RandomAccess.Read(input, buffer, copied)) > 0)
        {
            RandomAccess.Write(output, buffer.AsSpan(0, read), copied);
            copied += read;
        }
    }

    internal static void CopyXattrs(string src, string dest)
    {
        foreach (var attr in Syscalls.ListXattrs(src))
        {
            if (attr.StartsWith("trusted.overlay.", StringComparison.Ordinal))
            {
                continue; // overlay's own bookkeeping is not content
            }
            var value = Syscalls.GetXattr(src, attr);
            if (value is not null && Syscalls.Lsetxattr(dest, attr, value) < 0 && Errno.Last != Syscalls.ENOTSUP)
            {
                throw Errno.Exception(Errno.Last, "setxattr " + attr, dest);
            }
        }
    }
}

/// <summary>How a <see cref="TreeCopier"/> treats metadata.</summary>
internal sealed record CopyOptions
{
    /// <summary>Owner of every copied entry; null keeps the source's.</summary>
    public (int Uid, int Gid)? Owner { get; init; }

    /// <summary>Maps (source permission bits, is directory) to the destination's; null keeps them.</summary>
    public Func<uint, bool, uint>? Mode { get; init; }

    /// <summary>True for paths (relative to the copy's source base) that must not be copied.</summary>
    public Func<string, bool>? Excludes { get; init; }

    /// <summary>True when an exception pattern may re-include something below an excluded directory.</summary>
    public Func<string, bool>? MayReincludeBelow { get; init; }

    public bool PreserveXattrs { get; init; } = true;

    /// <summary>Called for each destination parent directory the copy had to create (to chown it).</summary>
    public Action<DirFd, string>? ChownCreated { get; init; }
}
