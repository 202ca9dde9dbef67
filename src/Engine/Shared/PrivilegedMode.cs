using System.Globalization;
using Builder.Engine.Interop;

namespace Builder.Engine.Wire;

/// <summary>
/// What a privileged container (<c>RUN --security=insecure</c>) gets, as BuildKit's insecure mode
/// gives it: every capability the engine holds (bounding, permitted, effective, inheritable and
/// ambient, so a non-root user keeps them too), /proc and /sys neither masked nor read-only, and
/// BuildKit's extra device nodes: kmsg, cuse, fuse, kvm, net/tun, loop-control and the loop
/// devices up to eight past the first free one. There is no seccomp filter in any mode.
/// </summary>
internal static class PrivilegedMode
{
    /// <summary>Capability names by number (linux/capability.h), for OCI runtime specs.</summary>
    private static readonly string[] CapabilityNames =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
        "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
        "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
        "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    private const ulong LoopControlGetFree = 0x4C82;

    /// <summary>One device node created in the container's /dev.</summary>
    public readonly record struct Device(string Path, bool Block, uint Major, uint Minor);

    /// <summary>
    /// The engine's own effective capabilities (CapEff of /proc/self/status): a privileged
    /// container cannot get more, and an OCI runtime refuses to grant a capability the engine lacks.
    /// </summary>
    public static ulong CurrentCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
            {
                return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        throw new InvalidDataException("/proc/self/status has no CapEff line");
    }

    /// <summary>The names of the capabilities in <paramref name="mask"/> this table knows.</summary>
    public static IEnumerable<string> Names(ulong mask)
    {
        for (var cap = 0; cap < CapabilityNames.Length; cap++)
        {
            if ((mask & (1UL << cap)) != 0)
            {
                yield return CapabilityNames[cap];
            }
        }
    }

    /// <summary>BuildKit's device list for insecure mode; the loop devices cover the first free one and seven more.</summary>
    public static IReadOnlyList<Device> Devices()
    {
        var devices = new List<Device>
        {
            new("/dev/kmsg", false, 1, 11),
            new("/dev/cuse", false, 10, 203),
            new("/dev/fuse", false, 10, 229),
            new("/dev/kvm", false, 10, 232),
            new("/dev/net/tun", false, 10, 200),
            new("/dev/loop-control", false, 10, 237),
        };
        var lastLoop = FirstFreeLoop() + 7;
        for (var i = 0; i <= lastLoop; i++)
        {
            devices.Add(new Device($"/dev/loop{i}", true, 7, (uint)i));
        }
        return devices;
    }

    /// <summary>The kernel's first free loop device (it creates one when none is free); 0 without loop support.</summary>
    private static int FirstFreeLoop()
    {
        var fd = LibC.open("/dev/loop-control", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            return 0;
        }
        try
        {
            var free = LibC.ioctl(fd, LoopControlGetFree, 0);
            return free < 0 ? 0 : free;
        }
        finally
        {
            LibC.close(fd);
        }
    }
}
