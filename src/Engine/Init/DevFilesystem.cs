using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// A fresh tmpfs /dev with only the harmless device nodes, a private devpts instance (so the
/// container sees only its own terminals), /dev/shm and /dev/mqueue.
/// </summary>
internal static class DevFilesystem
{
    private static readonly (string Name, uint Major, uint Minor)[] Devices =
    [
        ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
    ];

    private static readonly (string Link, string Target)[] Links =
    [
        ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"), ("core", "/proc/kcore"),
    ];

    /// <returns>The host path of the container's /dev/null, used to mask files.</returns>
    public static string Mount(string root, bool tty)
    {
        var dev = MountTargets.Directory(root, "/dev");
        MountTargets.Mount("tmpfs", dev, "tmpfs", LibC.MS_NOSUID | LibC.MS_STRICTATIME, "mode=755,size=65536k");
        foreach (var (name, major, minor) in Devices)
        {
            var path = $"{dev}/{name}";
            if (LibC.mknod(path, LibC.S_IFCHR | 0x1B6 /* 0666 */, LibC.Makedev(major, minor)) != 0)
            {
                throw LibC.Fail($"mknod {path}");
            }
            LibC.chmod(path, 0x1B6 /* 0666 */);
        }
        foreach (var (link, target) in Links)
        {
            if (LibC.symlink(target, $"{dev}/{link}") != 0)
            {
                throw LibC.Fail($"symlink {dev}/{link}");
            }
        }
        foreach (var dir in new[] { "pts", "shm", "mqueue" })
        {
            if (LibC.mkdir($"{dev}/{dir}", 0x1ED /* 0755 */) != 0)
            {
                throw LibC.Fail($"mkdir {dev}/{dir}");
            }
        }
        MountTargets.Mount("devpts", $"{dev}/pts", "devpts", LibC.MS_NOSUID | LibC.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        MountTargets.Mount("shm", $"{dev}/shm", "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC, "mode=1777,size=65536k");
        MountTargets.Mount("mqueue", $"{dev}/mqueue", "mqueue", LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC, null);
        if (tty)
        {
            // The engine's terminal is our stdin: it becomes the container's console.
            var console = $"{dev}/console";
            var fd = LibC.open(console, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC, 0x180 /* 0600 */);
            if (fd < 0)
            {
                throw LibC.Fail($"creating {console}");
            }
            LibC.close(fd);
            // fd 0's own mount belongs to the engine's mount namespace and cannot be bound from
            // here; its path (/dev/pts/N) names the same terminal in our copy of the host's mounts.
            var terminal = new FileInfo("/proc/self/fd/0").LinkTarget ?? throw new InvalidDataException("stdin is not a terminal");
            MountTargets.Mount(terminal, console, null, LibC.MS_BIND, null);
        }
        return $"{dev}/null";
    }

    /// <summary>Insecure mode: BuildKit's extra device nodes (fuse, kvm, net/tun, loop...), read-write for root.</summary>
    public static void AddPrivilegedDevices(string root)
    {
        foreach (var device in PrivilegedMode.Devices())
        {
            var path = root + device.Path;
            var parent = Path.GetDirectoryName(path)!;
            if (!Directory.Exists(parent) && LibC.mkdir(parent, 0x1ED /* 0755 */) != 0)
            {
                throw LibC.Fail($"mkdir {parent}");
            }
            var type = device.Block ? LibC.S_IFBLK : LibC.S_IFCHR;
            if (LibC.mknod(path, type | 0x1B0 /* 0660 */, LibC.Makedev(device.Major, device.Minor)) != 0)
            {
                throw LibC.Fail($"mknod {path}");
            }
        }
    }
}
