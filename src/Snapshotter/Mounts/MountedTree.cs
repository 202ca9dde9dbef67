using System.Diagnostics;
using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Mounts;

/// <summary>
/// A snapshot's mounts performed on a target directory, unmounted on Dispose. Long overlay option
/// strings (hundreds of lowerdirs exceed mount(2)'s one-page limit) are shortened to paths relative to
/// the snapshots directory and mounted by mount(8) running in that directory, so this process never chdirs.
/// </summary>
public sealed class MountedTree : IDisposable
{
    private const int PageLimit = 4000;
    private bool _mounted;

    private MountedTree(string target)
    {
        Target = target;
        _mounted = true;
    }

    public string Target { get; }

    /// <summary>Mounts <paramref name="mounts"/> (in order) on <paramref name="target"/>, which must exist.</summary>
    public static MountedTree Mount(IReadOnlyList<MountSpec> mounts, string target)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        ArgumentException.ThrowIfNullOrEmpty(target);
        if (mounts.Count != 1)
        {
            throw new ArgumentException($"expected exactly one mount, got {mounts.Count}", nameof(mounts));
        }
        var m = mounts[0];
        switch (m.Type)
        {
            case "bind":
                Errno.Check(Syscalls.Mount(m.Source, target, null, Syscalls.MsBind | Syscalls.MsRec, null), "mount --bind", target);
                if (m.IsReadOnly)
                {
                    var rc = Syscalls.Mount("none", target, null, Syscalls.MsBind | Syscalls.MsRemount | Syscalls.MsRdOnly, null);
                    if (rc < 0)
                    {
                        var errno = Errno.Last;
                        Syscalls.Umount2(target, Syscalls.MntDetach);
                        throw Errno.Exception(errno, "remount ro", target);
                    }
                }
                break;
            case "overlay":
                MountOverlay(m, target);
                break;
            case "tmpfs":
                // Memory only: nosuid, nodev, noexec (2 | 4 | 8).
                Errno.Check(Syscalls.Mount("tmpfs", target, "tmpfs", 2 | 4 | 8, string.Join(',', m.Options)), "mount tmpfs", target);
                break;
            default:
                throw new NotSupportedException($"mount type '{m.Type}' is not supported");
        }
        return new MountedTree(target);
    }

    private static void MountOverlay(MountSpec m, string target)
    {
        var data = string.Join(',', m.Options.Where(o => o != "ro" && o != "rw"));
        var flags = m.IsReadOnly ? Syscalls.MsRdOnly : 0;
        if (data.Length <= PageLimit)
        {
            Errno.Check(Syscalls.Mount("overlay", target, "overlay", flags, data), "mount overlay", target);
            return;
        }
        // Every snapshot dir is <snapshots>/<id>/..., so relative to <snapshots> each path is a few bytes.
        var lower = m.Options.First(o => o.StartsWith("lowerdir=", StringComparison.Ordinal))["lowerdir=".Length..].Split(':');
        var baseDir = Path.GetDirectoryName(Path.GetDirectoryName(lower[0]))!;
        string Rel(string p) => p.StartsWith(baseDir + "/", StringComparison.Ordinal) ? p[(baseDir.Length + 1)..] : p;
        var options = m.Options.Where(o => o != "ro" && o != "rw").Select(o =>
        {
            var eq = o.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                return o;
            }
            var key = o[..eq];
            var value = o[(eq + 1)..];
            return key is "lowerdir" or "upperdir" or "workdir"
                ? key + "=" + string.Join(':', value.Split(':').Select(Rel))
                : o;
        });
        var shortData = string.Join(',', options);
        if (shortData.Length > PageLimit)
        {
            throw new IOException($"overlay mount options are {shortData.Length} bytes even with relative paths; too many layers ({lower.Length})");
        }
        var psi = new ProcessStartInfo("mount") { WorkingDirectory = baseDir, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-t", "overlay", "overlay", "-o", (m.IsReadOnly ? "ro," : "") + shortData, target })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new IOException($"mount overlay on {target} ({lower.Length} lowerdirs): {err.Trim()}");
        }
    }

    /// <summary>Unmounts the target; a second call does nothing.</summary>
    public void Dispose()
    {
        if (!_mounted)
        {
            return;
        }
        _mounted = false;
        if (Syscalls.Umount2(Target, 0) < 0)
        {
            // Busy (an fd still open somewhere): detach so nothing stays mounted in the namespace.
            Errno.Check(Syscalls.Umount2(Target, Syscalls.MntDetach), "umount", Target);
        }
    }
}
