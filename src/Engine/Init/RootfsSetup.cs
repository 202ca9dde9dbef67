using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// Builds the container's mount tree on top of the rootfs, inside the new mount namespace (so the
/// host's mount table never sees any of it): kernel filesystems, /dev, the per-container /etc
/// files, the caller's mounts, the working directory, and finally the read-only remount.
/// </summary>
internal static class RootfsSetup
{
    /// <returns>The working directory as a path inside the container, created when missing.</returns>
    public static string Prepare(InitConfig config)
    {
        var root = config.RootFs.TrimEnd('/');
        LibC.umask(0x12 /* 022 */);
        // Nothing we mount may propagate back to the host, and host mounts must not appear here.
        MountTargets.Mount(null, "/", null, LibC.MS_REC | LibC.MS_PRIVATE, null);
        // pivot_root needs the new root to be a mount point.
        MountTargets.Mount(root, root, null, LibC.MS_BIND | LibC.MS_REC, null);

        // Checked before /proc exists in the rootfs, so /proc/self/fd/N cannot resolve to a live fd.
        WorkingDirectory.Check(root, config.WorkingDir);

        var proc = KernelFilesystems.MountProc(root);
        var devNull = DevFilesystem.Mount(root, config.Tty);
        if (config.Privileged)
        {
            // Insecure mode: /proc and /sys whole and writable, and BuildKit's extra devices.
            DevFilesystem.AddPrivilegedDevices(root);
            KernelFilesystems.MountSys(root, devNull, writable: true);
        }
        else
        {
            KernelFilesystems.MaskProc(proc, devNull);
            KernelFilesystems.MountSys(root, devNull, writable: false);
        }

        if (config.EtcFiles.Length > 0)
        {
            // A private tmpfs for the /etc files: it lives only in this mount namespace and goes
            // away with it, so nothing is written to (or left on) the host's disk.
            MountTargets.Mount("tmpfs", config.EtcDirectory, "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV | LibC.MS_NOEXEC, "mode=755");
        }
        foreach (var file in config.EtcFiles)
        {
            var source = $"{config.EtcDirectory}/{Path.GetFileName(file.ContainerPath)}";
            File.WriteAllBytes(source, Encoding.UTF8.GetBytes(file.Content ?? ""));
            var target = MountTargets.File(root, file.ContainerPath);
            MountTargets.BindReadOnly(source, target, recursive: false);
        }
        foreach (var mount in config.Mounts)
        {
            MountCallerMount(root, mount);
        }

        var workingDir = WorkingDirectory.Create(root, config.WorkingDir);
        if (config.ReadOnlyRootFs)
        {
            MountTargets.Mount(null, root, null, LibC.MS_REMOUNT | LibC.MS_BIND | LibC.MS_RDONLY, null);
        }
        return workingDir;
    }

    private static void MountCallerMount(string root, InitMount mount)
    {
        if (mount.Kind == "tmpfs")
        {
            var target = MountTargets.Directory(root, mount.ContainerPath);
            var data = mount.SizeBytes > 0 ? $"mode=755,size={mount.SizeBytes}" : "mode=755";
            MountTargets.Mount("tmpfs", target, "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV | (mount.ReadOnly ? LibC.MS_RDONLY : 0), data);
            return;
        }
        var source = mount.Source ?? throw new InvalidDataException($"bind mount on {mount.ContainerPath} has no source");
        var isDirectory = MountTargets.IsDirectory(source, out var exists);
        if (!exists)
        {
            throw new InvalidDataException($"bind mount source {source} does not exist");
        }
        var bindTarget = isDirectory ? MountTargets.Directory(root, mount.ContainerPath) : MountTargets.File(root, mount.ContainerPath);
        if (mount.ReadOnly)
        {
            MountTargets.BindReadOnly(source, bindTarget, recursive: true);
        }
        else
        {
            MountTargets.Mount(source, bindTarget, null, LibC.MS_BIND | LibC.MS_REC, null);
        }
    }
}
