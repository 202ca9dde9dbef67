using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Builder.Snapshotter.Context;

/// <summary>
/// What lstat says about a path: the entry itself, never the target of a symbolic link. Holds what
/// content checksums and layer headers need (type, mode, owner, size, times, inode, device numbers).
/// </summary>
/// <param name="Type">The entry's type.</param>
/// <param name="Mode">Permission bits plus set-user-id, set-group-id and sticky.</param>
/// <param name="Uid">Owner user id.</param>
/// <param name="Gid">Owner group id.</param>
/// <param name="Size">Size in bytes (for a symbolic link, the length of its target).</param>
/// <param name="ModificationTime">Last content change.</param>
/// <param name="ChangeTime">Last content or metadata change (ctime).</param>
/// <param name="Inode">Inode number; with <paramref name="Device"/> identifies the file.</param>
/// <param name="Device">The device holding the file.</param>
/// <param name="LinkCount">Number of hard links.</param>
/// <param name="DeviceMajor">For a device node, its major number; otherwise 0.</param>
/// <param name="DeviceMinor">For a device node, its minor number; otherwise 0.</param>
public readonly record struct FileStatus(
    FileType Type,
    UnixFileMode Mode,
    uint Uid,
    uint Gid,
    long Size,
    DateTimeOffset ModificationTime,
    DateTimeOffset ChangeTime,
    ulong Inode,
    ulong Device,
    uint LinkCount,
    uint DeviceMajor,
    uint DeviceMinor)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    /// <summary>
    /// lstat(2) of <paramref name="path"/>, through statx(2) whose layout is the same on every Linux
    /// architecture. Returns null when the path does not exist (e.g. deleted while a walk was running).
    /// </summary>
    /// <exception cref="IOException">lstat failed for another reason (permissions, I/O error).</exception>
    public static FileStatus? TryLstat(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var buffer = new byte[StatxSize];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR)
            {
                return null;
            }
            throw new IOException($"lstat {path}: {new Win32Exception(errno).Message}", errno);
        }
        return FromStatx(buffer);
    }

    private static FileStatus FromStatx(ReadOnlySpan<byte> statx)
    {
        var mode = Read<ushort>(statx, 28);
        return new FileStatus(
            Type: (mode & 0xF000) switch
            {
                0x4000 => FileType.Directory,
                0xA000 => FileType.SymbolicLink,
                0x1000 => FileType.NamedPipe,
                0x2000 => FileType.CharacterDevice,
                0x6000 => FileType.BlockDevice,
                0xC000 => FileType.Socket,
                _ => FileType.RegularFile,
            },
            Mode: (UnixFileMode)(mode & 0xFFF),
            Uid: Read<uint>(statx, 20),
            Gid: Read<uint>(statx, 24),
            Size: (long)Read<ulong>(statx, 40),
            ModificationTime: ReadTime(statx, 112),
            ChangeTime: ReadTime(statx, 96),
            Inode: Read<ulong>(statx, 32),
            Device: ((ulong)Read<uint>(statx, 136) << 32) | Read<uint>(statx, 140),
            LinkCount: Read<uint>(statx, 16),
            DeviceMajor: Read<uint>(statx, 128),
            DeviceMinor: Read<uint>(statx, 132));
    }

    private static T Read<T>(ReadOnlySpan<byte> buffer, int offset)
        where T : struct
        => MemoryMarshal.Read<T>(buffer[offset..]);

    // struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 reserved; }
    private static DateTimeOffset ReadTime(ReadOnlySpan<byte> buffer, int offset)
        => DateTimeOffset.UnixEpoch.AddTicks((Read<long>(buffer, offset) * TimeSpan.TicksPerSecond) + (Read<uint>(buffer, offset + 8) / 100));

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, byte[] statxbuf);
}
