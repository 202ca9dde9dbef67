using Builder.Engine.Interop;

namespace Builder.Engine.Native;

/// <summary>
/// Removes the empty files and directories created in a rootfs only to serve as mount points
/// (like BuildKit's mount-stub cleaner), so they never end up in a snapshot. The walk opens each
/// parent with O_NOFOLLOW from the rootfs, so a symlink the container planted cannot redirect the
/// removal to a host path; anything no longer empty is left alone.
/// </summary>
internal static unsafe class MountStubs
{
    private const int O_PATH_DIR = LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC;

    /// <param name="containerPaths">Stubs in creation order (parents before children).</param>
    public static void Remove(string rootFs, IEnumerable<string> containerPaths)
    {
        foreach (var path in containerPaths.Reverse())
        {
            RemoveOne(rootFs, path);
        }
    }

    private static void RemoveOne(string rootFs, string containerPath)
    {
        var components = containerPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (components.Length == 0 || components.Any(c => c is "." or ".."))
        {
            return;
        }
        var dir = LibC.open(rootFs, O_PATH_DIR, 0);
        try
        {
            foreach (var component in components[..^1])
            {
                if (dir < 0)
                {
                    return;
                }
                var next = LibC.openat(dir, component, O_PATH_DIR, 0);
                LibC.close(dir);
                dir = next;
            }
            if (dir < 0)
            {
                return;
            }
            var leaf = components[^1];
            var stat = stackalloc byte[LibC.StatSize];
            if (LibC.fstatat(dir, leaf, stat, LibC.AT_SYMLINK_NOFOLLOW) != 0)
            {
                return;
            }
            var (mode, size) = LibC.ModeAndSize(stat);
            if ((mode & LibC.S_IFMT) == LibC.S_IFDIR)
            {
                LibC.unlinkat(dir, leaf, LibC.AT_REMOVEDIR); // fails, as it should, when not empty
            }
            else if ((mode & LibC.S_IFMT) == LibC.S_IFREG && size == 0)
            {
                LibC.unlinkat(dir, leaf, 0);
            }
        }
        finally
        {
            if (dir >= 0)
            {
                LibC.close(dir);
            }
        }
    }

    /// <summary>
    /// For runtimes that create mount points themselves: the missing parts of each mount
    /// destination, in creation order, computed before the run.
    /// </summary>
    public static List<string> MissingBefore(string rootFs, IEnumerable<string> destinations)
    {
        var stubs = new List<string>();
        foreach (var destination in destinations)
        {
            var resolved = Wire.RootedPath.Resolve(rootFs, destination, Wire.RootedPath.Escapes.Clamp);
            var path = resolved.ContainerPath;
            var missing = new List<string>();
            for (var i = 0; i < resolved.Missing.Length; i++)
            {
                missing.Insert(0, path);
                path = path[..path.LastIndexOf('/')];
            }
            stubs.AddRange(missing.Where(m => !stubs.Contains(m)));
        }
        return stubs;
    }
}
