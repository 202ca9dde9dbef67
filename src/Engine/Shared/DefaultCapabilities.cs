namespace Builder.Engine.Wire;

/// <summary>
/// Docker's default capability set, kept for root in the container (bounding, permitted,
/// effective). Every other capability is dropped from the bounding set, so no process in the
/// container can regain it.
/// </summary>
internal static class DefaultCapabilities
{
    public static readonly (string Name, int Number)[] All =
    [
        ("CAP_CHOWN", 0), ("CAP_DAC_OVERRIDE", 1), ("CAP_FOWNER", 3), ("CAP_FSETID", 4), ("CAP_KILL", 5),
        ("CAP_SETGID", 6), ("CAP_SETUID", 7), ("CAP_SETPCAP", 8), ("CAP_NET_BIND_SERVICE", 10), ("CAP_NET_RAW", 13),
        ("CAP_SYS_CHROOT", 18), ("CAP_MKNOD", 27), ("CAP_AUDIT_WRITE", 29), ("CAP_SETFCAP", 31),
    ];

    /// <summary>The set as the 64-bit mask /proc/PID/status prints (CapBnd, CapEff...).</summary>
    public static ulong Mask
    {
        get
        {
            ulong mask = 0;
            foreach (var (_, number) in All)
            {
                mask |= 1UL << number;
            }
            return mask;
        }
    }

    public static bool Contains(int number)
    {
        foreach (var (_, n) in All)
        {
            if (n == number)
            {
                return true;
            }
        }
        return false;
    }
}
