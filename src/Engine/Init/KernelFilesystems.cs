using Builder.Engine.Interop;

namespace Builder.Engine.Init;

/// <summary>/proc of the container's pid namespace with Docker's masked and read-only paths, and /sys read-only (both whole and writable in insecure mode).</summary>
internal static class KernelFilesystems
{
    private const ulong NoSuidDevExec = LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC;

    /// <summary>Paths that would leak host information or allow host changes: hidden behind /dev/null or an empty tmpfs.</summary>
    private static readonly string[] MaskedInProc =
        ["kcore", "keys", "timer_list", "sched_debug", "acpi", "asound", "latency_stats", "timer_stats", "scsi"];

    private static readonly string[] MaskedInSys = ["firmware", "devices/virtual/powercap"];

    private static readonly string[] ReadOnlyInProc = ["sys", "sysrq-trigger", "irq", "bus", "fs"];

    /// <returns>The host path of the container's /proc.</returns>
    public static string MountProc(string root)
    {
        var target = MountTargets.Directory(root, "/proc");
        MountTargets.Mount("proc", target, "proc", NoSuidDevExec, null);
        return target;
    }

    public static void MaskProc(string proc, string devNull)
    {
        foreach (var name in ReadOnlyInProc)
        {
            var path = $"{proc}/{name}";
            MountTargets.IsDirectory(path, out var exists);
            if (exists)
            {
                MountTargets.BindReadOnly(path, path, recursive: true);
            }
        }
        Mask(proc, MaskedInProc, devNull);
    }

    /// <param name="writable">Insecure mode: read-write and nothing masked.</param>
    public static void MountSys(string root, string devNull, bool writable)
    {
        var target = MountTargets.Directory(root, "/sys");
        MountTargets.Mount("sysfs", target, "sysfs", NoSuidDevExec | (writable ? 0 : LibC.MS_RDONLY), null);
        if (!writable)
        {
            Mask(target, MaskedInSys, devNull);
        }
    }

    private static void Mask(string directory, string[] names, string devNull)
    {
        foreach (var name in names)
        {
            var path = $"{directory}/{name}";
            if (MountTargets.IsDirectory(path, out var exists))
            {
                MountTargets.Mount("tmpfs", path, "tmpfs", NoSuidDevExec | LibC.MS_RDONLY, "size=0");
            }
            else if (exists)
            {
                MountTargets.Mount(devNull, path, null, LibC.MS_BIND, null);
            }
        }
    }
}
