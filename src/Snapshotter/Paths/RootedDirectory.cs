using Builder.Snapshotter.Native;
using Microsoft.Win32.SafeHandles;

namespace Builder.Snapshotter.Paths;

/// <summary>
/// A directory held open by fd under which every path is resolved with openat2(RESOLVE_IN_ROOT): '..'
/// stops at the root and absolute symlinks are read relative to it, by the kernel, so no race with a
/// concurrent rename or symlink swap can lead out. Operations act on (parent fd, name) pairs with the
/// *at calls and never follow a final symlink unless asked.
/// </summary>
public sealed class RootedDirectory : IDisposable
{
    private const ulong InRoot = Syscalls.ResolveInRoot | Syscalls.ResolveNoMagicLinks;

    private RootedDirectory(string path, int fd)
    {
        Path = path;
        Fd = fd;
    }

    /// <summary>The host path the root was opened from (for messages; operations use the fd).</summary>
    public string Path { get; }

    internal int Fd { get; private set; }

    public static RootedDirectory Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fd = Syscalls.Openat(Syscalls.AtFdCwd, path, Syscalls.OPath | Syscalls.ODirectory | Syscalls.OCloExec, 0);
        Errno.Check(fd, "open", path);
        return new RootedDirectory(path, fd);
    }

    /// <summary>The directory <paramref name="relative"/> inside this root (made with its parents when missing) as a root of its own.</summary>
    internal RootedDirectory OpenSubRoot(string relative, Action<DirFd, string>? created = null)
    {
        var cleaned = ContainedPath.CleanClamped(relative);
        var fd = MakeDirectories(cleaned, created);
        var value = fd.Value;
        var dup = Syscalls.Openat2(value, ".", Syscalls.OPath | Syscalls.ODirectory | Syscalls.OCloExec, 0, InRoot);
        fd.Dispose();
        Errno.Check(dup, "open", Describe(cleaned));
        return new RootedDirectory(Describe(cleaned), dup);
    }

    /// <summary>Opens <paramref name="relative"/> (cleaned) as an O_PATH directory fd inside the root; -1 and errno on failure.</summary>
    internal int TryOpenDirectory(string relative, bool noSymlinks = false)
    {
        var resolve = InRoot | (noSymlinks ? Syscalls.ResolveNoSymlinks : 0);
        return Syscalls.Openat2(Fd, relative.Length == 0 ? "." : relative,
            Syscalls.OPath | Syscalls.ODirectory | Syscalls.OCloExec, 0, resolve);
    }

    /// <summary>Opens the directory <paramref name="relative"/> inside the root or throws a message naming it.</summary>
    internal DirFd OpenDirectory(string relative, bool noSymlinks = false)
    {
        var fd = TryOpenDirectory(relative, noSymlinks);
        if (fd < 0)
        {
            throw Failure(Errno.Last, relative);
        }
        return new DirFd(fd);
    }

    /// <summary>
    /// Opens the parent of <paramref name="relative"/> (cleaned, not the root) and returns it with the last
    /// name. With <paramref name="create"/>, missing parents are made (mode 0755 or given) and reported to
    /// <paramref name="created"/> so a caller can chown them.
    /// </summary>
    internal DirFd OpenParent(string relative, out string name, bool create, Action<DirFd, string>? created = null, uint mode = 0x1ED)
    {
        var (parent, leaf) = ContainedPath.Split(relative);
        name = leaf;
        var fd = TryOpenDirectory(parent);
        if (fd >= 0)
        {
            return new DirFd(fd);
        }
        var errno = Errno.Last;
        if (errno != Syscalls.ENOENT || !create)
        {
            throw Failure(errno, parent);
        }
        return MakeDirectories(parent, created, mode);
    }

    /// <summary>
    /// mkdir -p inside the root: each missing part is created under its (already resolved) parent. A part
    /// that is a dangling symlink is followed as the kernel would inside the root, and its target made.
    /// </summary>
    internal DirFd MakeDirectories(string relative, Action<DirFd, string>? created, uint mode = 0x1ED) =>
        MakeDirectories(relative, created, mode, 0);

    private DirFd MakeDirectories(string relative, Action<DirFd, string>? created, uint mode, int depth)
    {
        if (depth > 40)
        {
            throw new PathEscapeException($"{Describe(relative)}: too many levels of symbolic links");
        }
        var parts = relative.Length == 0 ? [] : relative.Split('/');
        var current = new DirFd(Syscalls.Openat2(Fd, ".", Syscalls.OPath | Syscalls.ODirectory | Syscalls.OCloExec, 0, InRoot));
        var prefix = "";
        foreach (var part in parts)
        {
            prefix = ContainedPath.Join(prefix, part);
            var next = TryOpenDirectory(prefix);
            if (next < 0)
            {
                var errno = Errno.Last;
                if (errno != Syscalls.ENOENT)
                {
                    current.Dispose();
                    throw Failure(errno, prefix);
                }
                if (Syscalls.Mkdirat(current.Value, part, mode) < 0)
                {
                    var e = Errno.Last;
                    var link = e == Syscalls.EEXIST ? Syscalls.Readlinkat(current.Value, part) : null;
                    current.Dispose();
                    if (link is null)
                    {
                        throw Errno.Exception(e, "mkdir", Describe(prefix));
                    }
                    // A dangling symlink: make its target (read inside the root), then the rest below it.
                    var parentPrefix = ContainedPath.Split(prefix).Parent;
                    var rest = relative.Length > prefix.Length ? relative[(prefix.Length + 1)..] : "";
                    var target = link.StartsWith('/') ? link : ContainedPath.Join(parentPrefix, link);
                    return MakeDirectories(ContainedPath.CleanClamped(ContainedPath.Join(target, rest)), created, mode, depth + 1);
                }
                created?.Invoke(current, part);
                next = TryOpenDirectory(prefix);
                if (next < 0)
                {
                    var e = Errno.Last;
                    current.Dispose();
                    throw Failure(e, prefix);
                }
            }
            current.Dispose();
            current = new DirFd(next);
        }
        return current;
    }

    /// <summary>lstat of a path inside the root (the final part is not followed).</summary>
    public bool TryLstat(string relative, out FileStatInfo info)
    {
        info = default;
        var cleaned = ContainedPath.CleanClamped(relative);
        if (cleaned.Length == 0)
        {
            var rc0 = Syscalls.Statx(Fd, "", Syscalls.AtEmptyPath | Syscalls.AtSymlinkNoFollow, out var s0);
            info = new FileStatInfo(s0);
            return rc0 == 0;
        }
        var (parent, leaf) = ContainedPath.Split(cleaned);
        var fd = TryOpenDirectory(parent);
        if (fd < 0)
        {
            return false;
        }
        using var dir = new DirFd(fd);
        var rc = Syscalls.Statx(dir.Value, leaf, Syscalls.AtSymlinkNoFollow, out var stat);
        info = new FileStatInfo(stat);
        return rc == 0;
    }

    /// <summary>Removes a path and everything under it; a missing path is not an error. Never leaves the root.</summary>
    public void RemoveAll(string relative)
    {
        var cleaned = ContainedPath.CleanClamped(relative);
        if (cleaned.Length == 0)
        {
            throw new ArgumentException("refusing to remove the root itself", nameof(relative));
        }
        var (parent, leaf) = ContainedPath.Split(cleaned);
        var fd = TryOpenDirectory(parent);
        if (fd < 0)
        {
            if (Errno.Last is Syscalls.ENOENT or Syscalls.ENOTDIR)
            {
                return;
            }
            throw Failure(Errno.Last, parent);
        }
        using var dir = new DirFd(fd);
        RemoveAt(dir.Value, leaf, Describe(cleaned));
    }

    /// <summary>Removes <paramref name="name"/> under an open directory, recursing into directories without following symlinks.</summary>
    internal static void RemoveAt(int dirFd, string name, string describe)
    {
        if (Syscalls.Unlinkat(dirFd, name, 0) == 0)
        {
            return;
        }
        var errno = Errno.Last;
        if (errno == Syscalls.ENOENT)
        {
            return;
        }
        if (errno != Syscalls.EISDIR && errno != Syscalls.EPERM)
        {
            throw Errno.Exception(errno, "unlink", describe);
        }
        var child = Syscalls.Openat(dirFd, name, Syscalls.ORdOnly | Syscalls.ODirectory | Syscalls.ONoFollow | Syscalls.OCloExec, 0);
        Errno.Check(child, "open", describe);
        using (var childFd = new DirFd(child))
        {
            foreach (var entry in childFd.ListNames())
            {
                RemoveAt(childFd.Value, entry, describe + "/" + entry);
            }
        }
        if (Syscalls.Unlinkat(dirFd, name, Syscalls.AtRemoveDir) < 0 && Errno.Last != Syscalls.ENOENT)
        {
            throw Errno.Exception(Errno.Last, "rmdir", describe);
        }
    }

    internal string Describe(string relative) => relative.Length == 0 ? Path : Path.TrimEnd('/') + "/" + relative;

    internal Exception Failure(int errno, string relative) => errno == Syscalls.ELOOP
        ? new PathEscapeException($"{Describe(relative)}: too many levels of symbolic links (a symlink loop, or a symlink where none may be)")
        : Errno.Exception(errno, "open", Describe(relative));

    public void Dispose()
    {
        if (Fd >= 0)
        {
            Syscalls.Close(Fd);
            Fd = -1;
        }
    }
}

/// <summary>An owned directory file descriptor (often O_PATH) used as the base of *at calls.</summary>
internal sealed class DirFd(int value) : IDisposable
{
    public int Value { get; private set; } = value;

    /// <summary>A path through /proc that names <paramref name="name"/> in this directory, for calls without an *at form (xattrs).</summary>
    public string ProcPath(string name) => $"/proc/self/fd/{Value}/{name}";

    /// <summary>The names in this directory (the fd's directory itself, whatever path it has now).</summary>
    public IEnumerable<string> ListNames()
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        return new System.IO.Enumeration.FileSystemEnumerable<string>($"/proc/self/fd/{Value}",
            (ref System.IO.Enumeration.FileSystemEntry e) => e.FileName.ToString(), options).ToList();
    }

    public void Dispose()
    {
        if (Value >= 0)
        {
            Syscalls.Close(Value);
            Value = -1;
        }
    }
}

/// <summary>The public view of an lstat result.</summary>
public readonly struct FileStatInfo
{
    internal FileStatInfo(FileStat stat) => Stat = stat;

    internal FileStat Stat { get; }

    public bool IsDirectory => Stat.IsDirectory;
    public bool IsRegularFile => Stat.IsRegular;
    public bool IsSymlink => Stat.IsSymlink;
    public uint Mode => Stat.Mode;
    public uint Uid => Stat.Uid;
    public uint Gid => Stat.Gid;
    public long Size => Stat.Size;
}
