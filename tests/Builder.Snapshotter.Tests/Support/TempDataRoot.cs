using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Tests.Support;

/// <summary>
/// A fresh data root under /var/tmp (a disk filesystem where overlayfs works), removed with every mount
/// still under it when the test ends.
/// </summary>
public sealed class TempDataRoot : IDisposable
{
    public TempDataRoot(bool? useOverlay = null)
    {
        Dir = Path.Combine("/var/tmp", "builder-snap-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        UseOverlay = useOverlay;
        Root = DataRoot.Open(Path.Combine(Dir, "root"), useOverlay);
    }

    public string Dir { get; }

    public bool? UseOverlay { get; }

    public DataRoot Root { get; private set; }

    /// <summary>A new empty directory beside the data root.</summary>
    public string NewDir(string name)
    {
        var path = Path.Combine(Dir, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Closes and reopens the data root (what a restart does).</summary>
    public DataRoot Reopen()
    {
        Root.Dispose();
        Root = DataRoot.Open(Path.Combine(Dir, "root"), UseOverlay);
        return Root;
    }

    public void Dispose()
    {
        Root.Dispose();
        UnmountUnder(Dir);
        if (Directory.Exists(Dir))
        {
            // chattr-free trees only; overlay workdirs hold 000 dirs, which root may delete.
            new DirectoryInfo(Dir).Delete(recursive: true);
        }
    }

    /// <summary>Unmounts (deepest first) every mount point at or below <paramref name="dir"/>; returns how many.</summary>
    public static int UnmountUnder(string dir)
    {
        var points = File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(p => p == dir || p.StartsWith(dir + "/", StringComparison.Ordinal))
            .OrderByDescending(p => p.Length)
            .ToList();
        foreach (var p in points)
        {
            Syscalls.Umount2(p, Syscalls.MntDetach);
        }
        return points.Count;
    }
}
