using System.Runtime.InteropServices;

namespace Builder.Snapshotter.Native;

/// <summary>
/// The few Linux calls the snapshotter needs that .NET does not expose: the *at family (so every path is
/// resolved relative to a directory we hold open), openat2, statx, xattrs, device nodes, mount.
/// Each returns -1 and sets errno like libc; <see cref="Errno"/> turns that into an exception.
/// </summary>
internal static unsafe partial class Syscalls
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtRemoveDir = 0x200;
    public const int AtEmptyPath = 0x1000;

    public const int ORdOnly = 0;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OTrunc = 0x200;
    public const int ODirectory = 0x10000;
    public const int ONoFollow = 0x20000;
    public const int OCloExec = 0x80000;
    public const int OPath = 0x200000;
    public const int ONoAtime = 0x40000;

    public const ulong ResolveNoXdev = 0x01;
    public const ulong ResolveNoMagicLinks = 0x02;
    public const ulong ResolveNoSymlinks = 0x04;
    public const ulong ResolveBeneath = 0x08;
    public const ulong ResolveInRoot = 0x10;

    public const uint SIfMt = 0xF000;
    public const uint SIfSock = 0xC000;
    public const uint SIfLnk = 0xA000;
    public const uint SIfReg = 0x8000;
    public const uint SIfBlk = 0x6000;
    public const uint SIfDir = 0x4000;
    public const uint SIfChr = 0x2000;
    public const uint SIfIfo = 0x1000;

    public const int ENOENT = 2;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ELOOP = 40;
    public const int ENODATA = 61;
    public const int ENOTSUP = 95;
    public const int EXDEV = 18;
    public const int EPERM = 1;

    public const ulong MsRdOnly = 1;
    public const ulong MsBind = 4096;
    public const ulong MsRec = 16384;
    public const ulong MsRemount = 32;
    public const int MntDetach = 2;

    private const long SysOpenat2 = 437; // same number on x86_64 and aarch64

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Sec;
        public long Nsec;
    }

    public const long UtimeOmit = (1L << 30) - 2;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long SyscallOpenat2(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    /// <summary>openat2(2); returns the fd or -1 with errno set.</summary>
    public static int Openat2(int dirfd, string path, int flags, uint mode, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)flags, Mode = mode, Resolve = resolve };
        var bytes = Utf8Z(path);
        fixed (byte* p = bytes)
        {
            return (int)SyscallOpenat2(SysOpenat2, dirfd, p, &how, (nuint)sizeof(OpenHow));
        }
    }

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    /// <summary>copy_file_range(2) from the current offsets; the kernel copies (or reflinks) without user-space buffers.</summary>
    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    public static partial nint CopyFileRange(int fdIn, nint offIn, int fdOut, nint offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mkdirat(int dirfd, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mknodat(int dirfd, string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Symlinkat(string target, int newdirfd, string linkpath);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlinkat(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "renameat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Renameat(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Fchownat(int dirfd, string path, int uid, int gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Fchmodat(int dirfd, string path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    public static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    public static partial int Fchown(int fd, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensatRaw(int dirfd, string path, Timespec* times, int flags);

    public static int Utimensat(int dirfd, string path, long mtimeSec, long mtimeNsec, int flags)
    {
        var times = stackalloc Timespec[2];
        times[0] = new Timespec { Sec = 0, Nsec = UtimeOmit };
        times[1] = new Timespec { Sec = mtimeSec, Nsec = mtimeNsec };
        return UtimensatRaw(dirfd, path, times, flags);
    }

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadlinkatRaw(int dirfd, string path, byte* buf, nuint size);

    /// <summary>readlinkat(2) as a string, or null with errno set.</summary>
    public static string? Readlinkat(int dirfd, string path)
    {
        var size = 256;
        while (true)
        {
            var buf = new byte[size];
            nint n;
            fixed (byte* b = buf)
            {
                n = ReadlinkatRaw(dirfd, path, b, (nuint)size);
            }
            if (n < 0)
            {
                return null;
            }
            if (n < size)
            {
                return System.Text.Encoding.UTF8.GetString(buf, 0, (int)n);
            }
            size *= 4;
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxRaw(int dirfd, string path, int flags, uint mask, byte* buf);

    private const uint StatxBasicStats = 0x7ff;

    /// <summary>statx(2) of <paramref name="path"/> relative to <paramref name="dirfd"/>; -1 with errno on failure.</summary>
    public static int Statx(int dirfd, string path, int flags, out FileStat stat)
    {
        var buf = stackalloc byte[256];
        var rc = StatxRaw(dirfd, path, flags, StatxBasicStats, buf);
        stat = rc == 0 ? FileStat.FromStatx(buf) : default;
        return rc;
    }

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LsetxattrRaw(string path, string name, byte* value, nuint size, int flags);

    public static int Lsetxattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value)
        {
            return LsetxattrRaw(path, name, v, (nuint)value.Length, 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetxattrRaw(string path, string name, byte* value, nuint size, int flags);

    /// <summary>setxattr(2), following the path: for /proc/self/fd/N, which names the fd's own file.</summary>
    public static int SetxattrFollow(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* v = value)
        {
            return SetxattrRaw(path, name, v, (nuint)value.Length, 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LlistxattrRaw(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LgetxattrRaw(string path, string name, byte* value, nuint size);

    /// <summary>The extended attribute names of <paramref name="path"/> (not following a final symlink).</summary>
    public static List<string> ListXattrs(string path)
    {
        var names = new List<string>();
        var size = 1024;
        while (true)
        {
            var buf = new byte[size];
            nint n;
            fixed (byte* b = buf)
            {
                n = LlistxattrRaw(path, b, (nuint)size);
            }
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == 34 /* ERANGE */)
                {
                    size *= 4;
                    continue;
                }
                if (errno is ENOTSUP or ENOENT)
                {
                    return names;
                }
                throw Errno.Exception(errno, "llistxattr", path);
            }
            var start = 0;
            for (var i = 0; i < n; i++)
            {
                if (buf[i] == 0)
                {
                    if (i > start)
                    {
                        names.Add(System.Text.Encoding.UTF8.GetString(buf, start, i - start));
                    }
                    start = i + 1;
                }
            }
            return names;
        }
    }

    /// <summary>The value of one extended attribute, or null when it is absent.</summary>
    public static byte[]? GetXattr(string path, string name)
    {
        var size = 256;
        while (true)
        {
            var buf = new byte[size];
            nint n;
            fixed (byte* b = buf)
            {
                n = LgetxattrRaw(path, name, b, (nuint)size);
            }
            if (n >= 0)
            {
                return buf.AsSpan(0, (int)n).ToArray();
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == 34)
            {
                size *= 4;
                continue;
            }
            if (errno is ENODATA or ENOTSUP or ENOENT)
            {
                return null;
            }
            throw Errno.Exception(errno, "lgetxattr", path);
        }
    }

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Mount(string source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Umount2(string target, int flags);

    /// <summary>syncfs(2): writes out the dirty data of the filesystem <paramref name="fd"/> is on (for overlayfs, its upper filesystem).</summary>
    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    public static partial int Syncfs(int fd);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    public const int LockEx = 2;
    public const int LockNb = 4;

    public static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    private static byte[] Utf8Z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
