namespace Builder.Snapshotter.Native;

/// <summary>The fields of statx(2) the snapshotter uses. Times are nanoseconds since the epoch.</summary>
internal readonly record struct FileStat(
    uint Mode, uint Uid, uint Gid, uint Nlink, ulong Inode, long Size, long Blocks,
    long MtimeNs, long CtimeNs, uint RdevMajor, uint RdevMinor, uint DevMajor, uint DevMinor)
{
    public uint Type => Mode & Syscalls.SIfMt;
    public uint Permissions => Mode & 0xFFF;
    public bool IsDirectory => Type == Syscalls.SIfDir;
    public bool IsRegular => Type == Syscalls.SIfReg;
    public bool IsSymlink => Type == Syscalls.SIfLnk;
    public ulong Device => ((ulong)DevMajor << 32) | DevMinor;

    internal static unsafe FileStat FromStatx(byte* b)
    {
        static long Time(byte* p) => (*(long*)p * 1_000_000_000L) + *(uint*)(p + 8);
        return new FileStat(
            Mode: *(ushort*)(b + 28), Uid: *(uint*)(b + 20), Gid: *(uint*)(b + 24), Nlink: *(uint*)(b + 16),
            Inode: *(ulong*)(b + 32), Size: *(long*)(b + 40), Blocks: *(long*)(b + 48),
            MtimeNs: Time(b + 112), CtimeNs: Time(b + 96),
            RdevMajor: *(uint*)(b + 128), RdevMinor: *(uint*)(b + 132),
            DevMajor: *(uint*)(b + 136), DevMinor: *(uint*)(b + 140));
    }
}
