using System.Runtime.InteropServices;

namespace Builder.Build.Debug;

/// <summary>What <c>builder debug diff</c> compares of one path (lstat, the link itself for a symlink).</summary>
internal readonly record struct FileMetadata(uint Mode, uint Uid, uint Gid, ulong Size, long MtimeSeconds, uint MtimeNanoseconds)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    public bool IsSymlink => (Mode & 0xF000) == 0xA000;

    /// <summary>lstat of <paramref name="path"/>, or null when it does not exist.</summary>
    public static FileMetadata? Read(string path)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            return null;
        }
        // struct statx: uid @20, gid @24, mode @28 (u16), size @40, mtime @112 (i64 sec, u32 nsec).
        return new FileMetadata(
            BitConverter.ToUInt16(buffer[28..]),
            BitConverter.ToUInt32(buffer[20..]),
            BitConverter.ToUInt32(buffer[24..]),
            BitConverter.ToUInt64(buffer[40..]),
            BitConverter.ToInt64(buffer[112..]),
            BitConverter.ToUInt32(buffer[120..]));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
