using Builder.Snapshotter.Layers.Tar;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Paths;
using Microsoft.Win32.SafeHandles;

namespace Builder.Snapshotter.Layers.Apply;

/// <summary>
/// Writes a tar stream into a directory held as a <see cref="RootedDirectory"/>. Each entry's parent is
/// opened with openat2(RESOLVE_IN_ROOT) and the entry is created with *at calls that never follow its final
/// name, so no entry, symlink or hardlink can write outside the root. Rejected (with a
/// <see cref="PathEscapeException"/> and nothing written for the entry): names that climb out with '..',
/// the root as a non-directory, hardlinks that escape or pass through a symlink, whiteouts that escape,
/// symlink loops.
/// </summary>
internal sealed class LayerApplier
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    private readonly RootedDirectory _root;
    private readonly ApplyMode _mode;
    private readonly (int Uid, int Gid)? _owner;
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);
    private readonly HashSet<string> _opaqueDone = new(StringComparer.Ordinal);
    private readonly List<(string Path, long Sec, long Nsec)> _dirTimes = [];
    private readonly byte[] _buffer = new byte[1 << 20];
    private string? _cachedParent;
    private DirFd? _cachedParentFd;

    /// <param name="owner">ADD --chown: every entry gets this owner instead of the tar's.</param>
    public LayerApplier(RootedDirectory root, ApplyMode mode, (int Uid, int Gid)? owner = null)
    {
        _root = root;
        _mode = mode;
        _owner = owner;
    }

    /// <summary>Number of entries applied.</summary>
    public long Entries { get; private set; }

    /// <summary>Applies every entry of <paramref name="tar"/> (already decompressed).</summary>
    public void Apply(Stream tar)
    {
        var reader = new TarStreamReader(tar);
        try
        {
            while (reader.Next() is { } entry)
            {
                ApplyEntry(entry);
                Entries++;
            }
            reader.DrainTrailer();
            InvalidateCache();
            // Directory mtimes last: writing children changed them.
            for (var i = _dirTimes.Count - 1; i >= 0; i--)
            {
                var (path, sec, nsec) = _dirTimes[i];
                if (path.Length == 0)
                {
                    Syscalls.Utimensat(_root.Fd, ".", sec, nsec, Syscalls.AtSymlinkNoFollow);
                    continue;
                }
                using var parent = _root.OpenParent(path, out var name, create: false);
                Syscalls.Utimensat(parent.Value, name, sec, nsec, Syscalls.AtSymlinkNoFollow);
            }
        }
        finally
        {
            InvalidateCache();
        }
    }

    private void ApplyEntry(TarEntry entry)
    {
        var path = ContainedPath.Clean(entry.Name)
            ?? throw new PathEscapeException($"tar entry '{entry.Name}' points outside the root (its '..' climbs above it)");
        if (path.Length == 0)
        {
            if (entry.Type != (byte)'5')
            {
                throw new PathEscapeException($"tar entry '{entry.Name}' names the root itself but is not a directory (type '{(char)entry.Type}')");
            }
            ApplyRootMetadata(entry);
            return;
        }
        var (parentPath, name) = ContainedPath.Split(path);
        if (_mode != ApplyMode.Plain && name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            if (name == OpaqueMarker)
            {
                ApplyOpaque(parentPath, entry.Name);
            }
            else
            {
                var target = name[WhiteoutPrefix.Length..];
                if (target is "" or "." or ".." || target.Contains('/', StringComparison.Ordinal))
                {
                    throw new PathEscapeException($"whiteout '{entry.Name}' names '{target}', which is not a name inside its directory");
                }
                ApplyWhiteout(ContainedPath.Join(parentPath, target));
            }
            return;
        }

        var parent = OpenParentCached(parentPath);
        var exists = Syscalls.Statx(parent.Value, name, Syscalls.AtSymlinkNoFollow, out var existing) == 0;
        var isDir = entry.Type == (byte)'5';
        if (exists && !(isDir && existing.IsDirectory))
        {
            RootedDirectory.RemoveAt(parent.Value, name, _root.Describe(path));
            InvalidateCache(); // what was removed may have been on a cached path
            parent = OpenParentCached(parentPath);
        }
        var describe = _root.Describe(path);
        var (uid, gid) = _owner ?? ((int)entry.Uid, (int)entry.Gid);
        switch (entry.Type)
        {
            case (byte)'0' or 0 or (byte)'7':
                WriteFile(parent, name, entry, uid, gid, describe);
                break;
            case (byte)'5':
                if (!exists || !existing.IsDirectory)
                {
                    Errno.Check(Syscalls.Mkdirat(parent.Value, name, 0x1C0), "mkdir", describe);
                }
                SetMetadata(parent, name, entry, uid, gid, describe, setTimes: false);
                _dirTimes.Add((path, entry.MtimeSeconds, entry.MtimeNanos));
                break;
            case (byte)'2':
                Errno.Check(Syscalls.Symlinkat(entry.LinkName, parent.Value, name), "symlink", describe);
                Errno.Check(Syscalls.Fchownat(parent.Value, name, uid, gid, Syscalls.AtSymlinkNoFollow), "lchown", describe);
                Syscalls.Utimensat(parent.Value, name, entry.MtimeSeconds, entry.MtimeNanos, Syscalls.AtSymlinkNoFollow);
                break;
            case (byte)'1':
                Link(parent, name, entry, describe);
                break;
            case (byte)'3' or (byte)'4' or (byte)'6':
                var type = entry.Type switch { (byte)'3' => Syscalls.SIfChr, (byte)'4' => Syscalls.SIfBlk, _ => Syscalls.SIfIfo };
                Errno.Check(Syscalls.Mknodat(parent.Value, name, type | 0x180, Syscalls.MakeDev(entry.DevMajor, entry.DevMinor)), "mknod", describe);
                SetMetadata(parent, name, entry, uid, gid, describe, setTimes: true);
                break;
            default:
                throw new InvalidDataException($"tar entry '{entry.Name}' has unsupported type '{(char)entry.Type}'");
        }
        if (!entry.IsRegular)
        {
            InvalidateCache(); // a directory or link may now stand where a cached parent was
        }
        if (_mode == ApplyMode.FullTree)
        {
            _written.Add(path);
        }
    }

    private void WriteFile(DirFd parent, string name, TarEntry entry, int uid, int gid, string describe)
    {
        var fd = Syscalls.Openat(parent.Value, name, Syscalls.OWrOnly | Syscalls.OCreat | Syscalls.OExcl | Syscalls.ONoFollow | Syscalls.OCloExec, 0x180);
        Errno.Check(fd, "create", describe);
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        long offset = 0;
        int n;
        while ((n = entry.Data.Read(_buffer, 0, _buffer.Length)) > 0)
        {
            RandomAccess.Write(handle, _buffer.AsSpan(0, n), offset);
            offset += n;
        }
        Errno.Check(Syscalls.Fchown(fd, uid, gid), "chown", describe);
        Errno.Check(Syscalls.Fchmod(fd, entry.Mode), "chmod", describe);
        SetXattrs($"/proc/self/fd/{fd}", entry, describe, follow: true);
        Syscalls.Utimensat(parent.Value, name, entry.MtimeSeconds, entry.MtimeNanos, Syscalls.AtSymlinkNoFollow);
    }

    private void SetMetadata(DirFd parent, string name, TarEntry entry, int uid, int gid, string describe, bool setTimes)
    {
        Errno.Check(Syscalls.Fchownat(parent.Value, name, uid, gid, Syscalls.AtSymlinkNoFollow), "chown", describe);
        Errno.Check(Syscalls.Fchmodat(parent.Value, name, entry.Mode, 0), "chmod", describe);
        SetXattrs(parent.ProcPath(name), entry, describe, follow: false);
        if (setTimes)
        {
            Syscalls.Utimensat(parent.Value, name, entry.MtimeSeconds, entry.MtimeNanos, Syscalls.AtSymlinkNoFollow);
        }
    }

    private static void SetXattrs(string procPath, TarEntry entry, string describe, bool follow)
    {
        foreach (var (key, value) in entry.Xattrs)
        {
            if (key.StartsWith("trusted.", StringComparison.Ordinal))
            {
                continue; // trusted.* (overlay's own markers among them) is never taken from a layer
            }
            var rc = follow ? Syscalls.SetxattrFollow(procPath, key, value) : Syscalls.Lsetxattr(procPath, key, value);
            if (rc < 0 && Errno.Last != Syscalls.ENOTSUP)
            {
                throw Errno.Exception(Errno.Last, "setxattr " + key, describe);
            }
        }
    }

    private void Link(DirFd parent, string name, TarEntry entry, string describe)
    {
        var target = ContainedPath.Clean(entry.LinkName);
        if (target is null or "")
        {
            throw new PathEscapeException($"hardlink '{entry.Name}' -> '{entry.LinkName}' points outside the root");
        }
        var (targetParent, targetName) = ContainedPath.Split(target);
        // No symlink may be crossed on the way to a hardlink's target: that is how a link reaches a host file.
        var fd = _root.TryOpenDirectory(targetParent, noSymlinks: true);
        if (fd < 0)
        {
            var errno = Errno.Last;
            throw errno == Syscalls.ELOOP
                ? new PathEscapeException($"hardlink '{entry.Name}' -> '{entry.LinkName}' goes through a symlink")
                : Errno.Exception(errno, "link target", _root.Describe(target));
        }
        using var targetDir = new DirFd(fd);
        if (Syscalls.Statx(targetDir.Value, targetName, Syscalls.AtSymlinkNoFollow, out var st) < 0)
        {
            throw new InvalidDataException($"hardlink '{entry.Name}' -> '{entry.LinkName}': the target does not exist in the layer");
        }
        if (st.IsDirectory)
        {
            throw new InvalidDataException($"hardlink '{entry.Name}' -> '{entry.LinkName}': the target is a directory");
        }
        Errno.Check(Syscalls.Linkat(targetDir.Value, targetName, parent.Value, name, 0), "link", describe);
    }

    private void ApplyWhiteout(string target)
    {
        InvalidateCache();
        if (_mode == ApplyMode.FullTree)
        {
            _root.RemoveAll(target);
            return;
        }
        using var parent = _root.OpenParent(target, out var name, create: true);
        RootedDirectory.RemoveAt(parent.Value, name, _root.Describe(target));
        Errno.Check(Syscalls.Mknodat(parent.Value, name, Syscalls.SIfChr, 0), "mknod whiteout", _root.Describe(target));
    }

    private void ApplyOpaque(string dir, string entryName)
    {
        if (!_opaqueDone.Add(dir))
        {
            return; // repeated markers cost nothing: linear in the number of entries
        }
        InvalidateCache();
        using var fd = _root.MakeDirectories(dir, null);
        if (_mode == ApplyMode.OverlayUpper)
        {
            if (Syscalls.SetxattrFollow($"/proc/self/fd/{fd.Value}", "trusted.overlay.opaque", "y"u8) < 0)
            {
                throw Errno.Exception(Errno.Last, "set opaque", _root.Describe(dir) + $" (for '{entryName}')");
            }
            return;
        }
        // Full tree: remove what lower layers put here, keep what this layer wrote (before or after the marker).
        foreach (var child in fd.ListNames())
        {
            if (!_written.Contains(ContainedPath.Join(dir, child)))
            {
                RootedDirectory.RemoveAt(fd.Value, child, _root.Describe(ContainedPath.Join(dir, child)));
            }
        }
    }

    private void ApplyRootMetadata(TarEntry entry)
    {
        var (uid, gid) = _owner ?? ((int)entry.Uid, (int)entry.Gid);
        if (_mode == ApplyMode.Plain)
        {
            return; // ADD into an existing directory keeps that directory's own metadata
        }
        Errno.Check(Syscalls.Fchownat(_root.Fd, "", uid, gid, Syscalls.AtEmptyPath | Syscalls.AtSymlinkNoFollow), "chown", _root.Path);
        Errno.Check(Syscalls.Fchmod(ReopenRootForChmod(), entry.Mode), "chmod", _root.Path);
        _dirTimes.Insert(0, ("", entry.MtimeSeconds, entry.MtimeNanos));
    }

    private int _rootRw = -1;

    private int ReopenRootForChmod()
    {
        if (_rootRw < 0)
        {
            _rootRw = Syscalls.Openat2(_root.Fd, ".", Syscalls.ORdOnly | Syscalls.ODirectory | Syscalls.OCloExec, 0, Syscalls.ResolveInRoot);
            Errno.Check(_rootRw, "open", _root.Path);
        }
        return _rootRw;
    }

    private DirFd OpenParentCached(string parentPath)
    {
        if (_cachedParent == parentPath && _cachedParentFd is not null)
        {
            return _cachedParentFd;
        }
        InvalidateCache();
        var fd = _root.TryOpenDirectory(parentPath);
        if (fd < 0)
        {
            var errno = Errno.Last;
            if (errno != Syscalls.ENOENT)
            {
                throw _root.Failure(errno, parentPath);
            }
            _cachedParentFd = _root.MakeDirectories(parentPath, null);
        }
        else
        {
            _cachedParentFd = new DirFd(fd);
        }
        _cachedParent = parentPath;
        return _cachedParentFd;
    }

    private void InvalidateCache()
    {
        _cachedParentFd?.Dispose();
        _cachedParentFd = null;
        _cachedParent = null;
        if (_rootRw >= 0)
        {
            Syscalls.Close(_rootRw);
            _rootRw = -1;
        }
    }
}
