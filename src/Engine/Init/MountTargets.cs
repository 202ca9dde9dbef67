using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>Mount points inside the rootfs, resolved so that no symlink in the image redirects a mount to the host.</summary>
internal static class MountTargets
{
    public static string Directory(string rootFs, string containerPath)
    {
        var path = RootedPath.Resolve(rootFs, containerPath, RootedPath.Escapes.Clamp);
        ReportStubs(RootedPath.CreateMissingDirectories(path));
        return path.HostPath;
    }

    /// <summary>
    /// Mount points we create in the rootfs are only there for the mount: the engine removes them
    /// after the run (when still empty) so they never end up in a snapshot.
    /// </summary>
    private static void ReportStubs(IEnumerable<string> containerPaths)
    {
        foreach (var path in containerPaths)
        {
            Status.Stub(path);
        }
    }

    public static string File(string rootFs, string containerPath)
    {
        var path = RootedPath.Resolve(rootFs, containerPath, RootedPath.Escapes.Clamp);
        if (!path.Exists)
        {
            ReportStubs(RootedPath.CreateMissingDirectories(path with
            {
                Missing = path.Missing[..^1],
                HostPath = path.HostPath[..path.HostPath.LastIndexOf('/')],
                ContainerPath = path.ContainerPath[..path.ContainerPath.LastIndexOf('/')],
            }));
            var fd = LibC.open(path.HostPath, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0x1A4 /* 0644 */);
            if (fd < 0)
            {
                throw LibC.Fail($"creating mount point {path.HostPath}");
            }
            LibC.close(fd);
            Status.Stub(path.ContainerPath);
        }
        return path.HostPath;
    }

    public static void Mount(string? source, string target, string? fsType, ulong flags, string? data)
    {
        if (LibC.mount(source, target, fsType, flags, data) != 0)
        {
            throw LibC.Fail($"mount {fsType ?? source} on {target}");
        }
    }

    /// <summary>Binds a path onto itself or another path and makes it read-only.</summary>
    public static void BindReadOnly(string source, string target, bool recursive)
    {
        Mount(source, target, null, LibC.MS_BIND | (recursive ? LibC.MS_REC : 0), null);
        Mount(null, target, null, LibC.MS_REMOUNT | LibC.MS_BIND | LibC.MS_RDONLY, null);
    }

    public static unsafe bool IsDirectory(string path, out bool exists)
    {
        var stat = stackalloc byte[LibC.StatSize];
        exists = LibC.stat(path, stat) == 0;
        return exists && (LibC.ModeAndSize(stat).Mode & LibC.S_IFMT) == LibC.S_IFDIR;
    }
}
