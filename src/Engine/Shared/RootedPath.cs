using Builder.Engine.Interop;

namespace Builder.Engine.Wire;

/// <summary>
/// Resolves a path as a process chrooted into a rootfs would see it, but from outside: every
/// symlink is read and followed relative to the rootfs, ".." never climbs above it. The result is
/// a host path that lies inside the rootfs, so mounting onto it or reading it cannot touch a host
/// file through a symlink planted in an image.
/// </summary>
internal static class RootedPath
{
    private const int MaxSymlinks = 40;

    /// <summary>What to do when a symlink's relative target climbs above the rootfs.</summary>
    public enum Escapes
    {
        /// <summary>Stop at the root, as the kernel does inside a chroot.</summary>
        Clamp,
        /// <summary>Refuse: the caller asked for a path that points out of the rootfs.</summary>
        Reject,
    }

    /// <summary>The resolved path: <see cref="ContainerPath"/> inside the rootfs and the same place on the host.</summary>
    public sealed record Result(string HostPath, string ContainerPath, bool Exists, string[] Missing);

    public static unsafe Result Resolve(string rootFs, string containerPath, Escapes escapes)
    {
        var root = rootFs.TrimEnd('/');
        var resolved = new List<string>();
        // Pending components, next one last; a flag marks components that came from a symlink target.
        var pending = new Stack<(string Name, bool FromLink)>();
        PushComponents(pending, containerPath, fromLink: false);
        var links = 0;
        var stat = stackalloc byte[LibC.StatSize];
        while (pending.Count > 0)
        {
            var (name, fromLink) = pending.Pop();
            if (name is "" or ".")
            {
                continue;
            }
            if (name == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                else if (fromLink && escapes == Escapes.Reject)
                {
                    throw new PathEscapeException($"{containerPath}: a symlink on the path points out of the root filesystem");
                }
                continue;
            }
            var candidate = Join(root, resolved, name);
            if (LibC.lstat(candidate, stat) != 0)
            {
                var errno = LibC.Errno;
                if (errno is not (LibC.ENOENT or LibC.ENOTDIR))
                {
                    throw new SyscallException($"lstat {candidate}", errno);
                }
                // The rest does not exist yet: it is created under the last existing directory.
                var missing = new List<string> { name };
                while (pending.Count > 0)
                {
                    var (rest, _) = pending.Pop();
                    if (rest is "" or ".")
                    {
                        continue;
                    }
                    if (rest == "..")
                    {
                        if (missing.Count > 0)
                        {
                            missing.RemoveAt(missing.Count - 1);
                        }
                        continue;
                    }
                    missing.Add(rest);
                }
                var all = resolved.Concat(missing).ToList();
                return new Result(Join(root, all, null), "/" + string.Join('/', all), missing.Count == 0, missing.ToArray());
            }
            var (mode, _) = LibC.ModeAndSize(stat);
            if ((mode & LibC.S_IFMT) != LibC.S_IFLNK)
            {
                resolved.Add(name);
                continue;
            }
            if (++links > MaxSymlinks)
            {
                throw new PathEscapeException($"{containerPath}: too many levels of symbolic links");
            }
            var target = ReadLink(candidate);
            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }
            PushComponents(pending, target, fromLink: true);
        }
        return new Result(Join(root, resolved, null), "/" + string.Join('/', resolved), true, []);
    }

    /// <summary>Creates the missing directories of a resolved path (mode 0755, owned by the caller).</summary>
    /// <returns>The created directories as container paths, outermost first.</returns>
    public static List<string> CreateMissingDirectories(Result path)
    {
        var created = new List<string>();
        var containerPath = path.ContainerPath;
        for (var i = 0; i < path.Missing.Length; i++)
        {
            containerPath = containerPath[..containerPath.LastIndexOf('/')];
        }
        var existing = path.HostPath;
        for (var i = 0; i < path.Missing.Length; i++)
        {
            existing = existing[..existing.LastIndexOf('/')];
        }
        foreach (var name in path.Missing)
        {
            existing = existing + "/" + name;
            containerPath = containerPath + "/" + name;
            if (LibC.mkdir(existing, 0x1ED /* 0755 */) != 0)
            {
                if (LibC.Errno != LibC.EEXIST)
                {
                    throw LibC.Fail($"mkdir {existing}");
                }
                continue;
            }
            created.Add(containerPath);
        }
        return created;
    }

    private static void PushComponents(Stack<(string, bool)> pending, string path, bool fromLink)
    {
        var parts = path.Split('/');
        for (var i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push((parts[i], fromLink));
        }
    }

    private static string Join(string root, List<string> components, string? last)
    {
        var path = components.Count == 0 ? root : root + "/" + string.Join('/', components);
        return last is null ? (path.Length == 0 ? "/" : path) : path + "/" + last;
    }

    private static unsafe string ReadLink(string path)
    {
        var buffer = stackalloc byte[4096];
        var n = LibC.readlink(path, buffer, 4096);
        if (n < 0)
        {
            throw LibC.Fail($"readlink {path}");
        }
        return System.Text.Encoding.UTF8.GetString(buffer, (int)n);
    }
}

/// <summary>A path given for the container resolves outside its root filesystem.</summary>
internal sealed class PathEscapeException(string message) : Exception(message);
