
namespace Builder.Engine.Wire;

/// <summary>
/// The working directory must lie inside the rootfs: symlinks are followed within it and may not
/// climb out, and it may not be in a kernel filesystem the engine mounts (/proc, /sys, /dev), which
/// is how "/proc/self/fd/N" would reach a host directory. The command's child checks again after
/// pivot_root that getcwd() is exactly this path.
/// </summary>
internal static class WorkingDirectory
{
    private static readonly string[] KernelFilesystems = ["proc", "sys", "dev"];

    public static void Check(string root, string workingDir) => Resolve(root, workingDir);

    public static string Create(string root, string workingDir)
    {
        var path = Resolve(root, workingDir);
        RootedPath.CreateMissingDirectories(path);
        return path.ContainerPath;
    }

    private static RootedPath.Result Resolve(string root, string workingDir)
    {
        if (!workingDir.StartsWith('/'))
        {
            throw new PathEscapeException($"working directory {workingDir} is not an absolute path");
        }
        var path = RootedPath.Resolve(root, workingDir, RootedPath.Escapes.Reject);
        var first = path.ContainerPath.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (first is not null && KernelFilesystems.Contains(first))
        {
            throw new PathEscapeException($"working directory {workingDir} resolves to {path.ContainerPath}, inside /{first}, which is not part of the root filesystem");
        }
        return path;
    }
}
