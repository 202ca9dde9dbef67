using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Builder.Server.Context;

/// <summary>
/// Writes inside one directory only: every parent is opened with openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS), and the final name is acted on with the *at calls without following it, so
/// neither a '..' nor a symlink (planted by a client's earlier context, or raced in) can lead out.
/// </summary>
internal sealed class ContainedFiles : IDisposable
{
    private const int AtFdCwd = -100;
    private const int OPath = 0x200000, ODirectory = 0x10000, OCloExec = 0x80000, ONoFollow = 0x20000;
    private const int OWrOnly = 1, OCreat = 0x40, OTrunc = 0x200;
    private const ulong ResolveNoMagicLinks = 0x02, ResolveNoSymlinks = 0x04, ResolveBeneath = 0x08;
    private const int AtSymlinkNoFollow = 0x100, AtRemoveDir = 0x200;
    private const long SysOpenat2 = 437;
    private int _root;

    public ContainedFiles(string root)
    {
        Root = root;
        _root = openat(AtFdCwd, root, OPath | ODirectory | OCloExec, 0);
        if (_root < 0)
        {
            throw Error("open", root);
        }
    }

    public string Root { get; }

    public void CreateDirectory(string relative, uint mode)
    {
        using var parent = OpenParent(relative, out var name);
        if (mkdirat(parent.Fd, name, mode & 0xFFF) < 0 && Marshal.GetLastPInvokeError() != 17 /* EEXIST */)
        {
            throw Error("mkdir", relative);
        }
    }

    public void CreateSymlink(string relative, string target)
    {
        using var parent = OpenParent(relative, out var name);
        if (symlinkat(target, parent.Fd, name) < 0)
        {
            throw Error("symlink", relative);
        }
    }

    /// <summary>Creates or truncates a regular file (never through a symlink) and returns it open for writing.</summary>
    public FileStream CreateFile(string relative)
    {
        using var parent = OpenParent(relative, out var name);
        var fd = openat(parent.Fd, name, OWrOnly | OCreat | OTrunc | ONoFollow | OCloExec, 0x180);
        if (fd < 0)
        {
            throw Error("create", relative);
        }
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    /// <summary>Owner, mode (not for symlinks) and modification time, in that order (chown clears set-id bits).</summary>
    public void SetAttributes(string relative, bool isSymlink, uint uid, uint gid, uint mode, long mtimeNs, bool chown)
    {
        using var parent = OpenParent(relative, out var name);
        if (chown && fchownat(parent.Fd, name, uid, gid, AtSymlinkNoFollow) < 0)
        {
            throw Error("chown", relative);
        }
        if (!isSymlink && fchmodat(parent.Fd, name, mode & 0xFFF, 0) < 0)
        {
            throw Error("chmod", relative);
        }
        Span<long> times = [mtimeNs / 1_000_000_000, mtimeNs % 1_000_000_000, mtimeNs / 1_000_000_000, mtimeNs % 1_000_000_000];
        if (utimensat(parent.Fd, name, ref MemoryMarshal.GetReference(times), AtSymlinkNoFollow) < 0)
        {
            throw Error("utimensat", relative);
        }
    }

    /// <summary>Removes a file, symlink or empty directory; a missing one is fine.</summary>
    public void Remove(string relative, bool isDirectory)
    {
        using var parent = OpenParent(relative, out var name);
        if (unlinkat(parent.Fd, name, isDirectory ? AtRemoveDir : 0) < 0 && Marshal.GetLastPInvokeError() != 2 /* ENOENT */)
        {
            throw Error("remove", relative);
        }
    }

    private Handle OpenParent(string relative, out string name)
    {
        var slash = relative.LastIndexOf('/');
        name = slash < 0 ? relative : relative[(slash + 1)..];
        var parent = slash < 0 ? "." : relative[..slash];
        var how = new OpenHow { Flags = (ulong)(OPath | ODirectory | OCloExec), Resolve = ResolveBeneath | ResolveNoSymlinks | ResolveNoMagicLinks };
        var fd = (int)syscall(SysOpenat2, _root, parent, ref how, (nuint)Marshal.SizeOf<OpenHow>());
        if (fd < 0)
        {
            throw Error("open", parent);
        }
        return new Handle(fd);
    }

    private IOException Error(string operation, string relative)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{operation} {Path.Combine(Root, relative)}: {new Win32Exception(errno).Message}", errno);
    }

    public void Dispose()
    {
        if (_root >= 0)
        {
            close(_root);
            _root = -1;
        }
    }

    private readonly struct Handle(int fd) : IDisposable
    {
        public int Fd { get; } = fd;

        public void Dispose() => close(Fd);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern long syscall(long number, int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref OpenHow how, nuint size);

    [DllImport("libc", SetLastError = true)]
    private static extern int openat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdirat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int symlinkat([MarshalAs(UnmanagedType.LPUTF8Str)] string target, int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport("libc", SetLastError = true)]
    private static extern int fchownat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint uid, uint gid, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fchmodat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int utimensat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, ref long times, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlinkat(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
