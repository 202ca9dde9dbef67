using Builder.Snapshotter.Content;
using Builder.Snapshotter.Metadata;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Paths;
using Builder.Snapshotter.Snapshots;

namespace Builder.Snapshotter;

/// <summary>
/// The store under one data root (content/, snapshots/, metadata.db, tmp/), opened by one process at a
/// time (an flock on &lt;root&gt;/lock). Opening recovers from a crash: tmp/ is emptied and snapshots that
/// were never committed are removed, so what remains is only what a finished operation left.
/// </summary>
public sealed class DataRoot : IDisposable
{
    private readonly int _lockFd;

    private DataRoot(string path, int lockFd, bool useOverlay)
    {
        Path = path;
        _lockFd = lockFd;
        Content = new ContentStore(path);
        Metadata = new MetadataDb(System.IO.Path.Combine(path, "metadata.db"));
        Snapshots = new SnapshotStore(Metadata, path, useOverlay);
        Layers = new Layers.LayerStore(Snapshots, Content, Metadata);
        Checksums = new Checksum.ChecksumCache(Metadata);
        Gc = new Gc.GarbageCollector(this);
    }

    public string Path { get; }

    public ContentStore Content { get; }

    public MetadataDb Metadata { get; }

    public SnapshotStore Snapshots { get; }

    public Layers.LayerStore Layers { get; }

    public Checksum.ChecksumCache Checksums { get; }

    public Gc.GarbageCollector Gc { get; }


    /// <summary>What the crash recovery at open removed.</summary>
    public RecoveryReport Recovery { get; private set; } = new(0, 0);

    /// <summary>Which snapshot driver is in use and why, for the user to see (e.g. `builder info`, a build's first line).</summary>
    public string DriverNote { get; private init; } = "";

    /// <summary>Temp files and directories removed from tmp/ at open.</summary>
    public int RemovedTempEntries { get; private set; }

    /// <summary>
    /// Opens (creating if needed) the data root at <paramref name="path"/>. <paramref name="useOverlay"/> null
    /// detects overlayfs; false forces the copying snapshotter.
    /// </summary>
    public static DataRoot Open(string path, bool? useOverlay = null) => Open(path, useOverlay, lockTimeout: TimeSpan.Zero, waiting: null);

    /// <summary>
    /// Opens the data root, waiting up to <paramref name="lockTimeout"/> while another process holds it
    /// (two builds on one machine run one after the other instead of failing). <paramref name="waiting"/>
    /// is called once if the wait starts, so the caller can say why nothing happens.
    /// </summary>
    public static DataRoot Open(string path, bool? useOverlay, TimeSpan lockTimeout, Action<string>? waiting)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(path);
        Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, path, 0x1C0, 0), "chmod", path);
        var lockPath = System.IO.Path.Combine(path, "lock");
        var fd = Syscalls.Openat(Syscalls.AtFdCwd, lockPath, Syscalls.OWrOnly | Syscalls.OCreat | Syscalls.OCloExec, 0x180);
        Errno.Check(fd, "open", lockPath);
        if (Syscalls.Flock(fd, Syscalls.LockEx | Syscalls.LockNb) < 0 && !WaitForLock(fd, lockTimeout, () => waiting?.Invoke($"waiting for the data root {path}: another builder process is using it")))
        {
            Syscalls.Close(fd);
            throw new IOException($"data root {path} is in use by another process (lock held on {lockPath})");
        }
        try
        {
            var tmp = System.IO.Path.Combine(path, "tmp");
            Directory.CreateDirectory(tmp);
            var removed = EmptyDirectory(tmp);
            var overlay = useOverlay ?? OverlaySupported(path, tmp);
            var root = new DataRoot(path, fd, overlay)
            {
                RemovedTempEntries = removed,
                DriverNote = overlay
                    ? "overlayfs"
                    : useOverlay is null
                        ? "copy: overlayfs cannot be mounted here (no kernel support or no privilege); each snapshot is a full copy, which is slower and larger"
                        : "copy: selected by the caller",
            };
            root.Recovery = root.Snapshots.Recover();
            return root;
        }
        catch
        {
            Syscalls.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Whether overlayfs can be mounted here. The answer (a mount and unmount of a scratch overlay, which costs
    /// more than the rest of a cached build) is remembered in <c>overlay-check</c> for as long as what decides it
    /// stays the same: this boot of the kernel, the effective user, its user namespace and the data root's filesystem.
    /// </summary>
    private static bool OverlaySupported(string path, string tmp)
    {
        var marker = System.IO.Path.Combine(path, "overlay-check");
        string key;
        try
        {
            Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, tmp, 0, out var st), "stat", tmp);
            key = string.Join(' ', File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), Syscalls.Geteuid().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Syscalls.Readlinkat(Syscalls.AtFdCwd, "/proc/self/ns/user") ?? "", st.Device.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return Overlay.OverlayDriver.IsSupported(tmp);
        }
        try
        {
            var known = File.ReadAllText(marker).Split('\n');
            if (known.Length >= 2 && known[0] == key && known[1] is "yes" or "no")
            {
                return known[1] == "yes";
            }
        }
        catch (IOException)
        {
            // absent or unreadable: check
        }
        var supported = Overlay.OverlayDriver.IsSupported(tmp);
        try
        {
            var temp = System.IO.Path.Combine(tmp, "overlay-check-" + Guid.NewGuid().ToString("N"));
            File.WriteAllText(temp, key + "\n" + (supported ? "yes" : "no") + "\n");
            File.Move(temp, marker, overwrite: true); // a cache: no fsync, a lost write only means checking again
        }
        catch (IOException)
        {
            // not remembered: the next open checks again
        }
        return supported;
    }

    private static bool WaitForLock(int fd, TimeSpan timeout, Action announce)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }
        announce();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
            if (Syscalls.Flock(fd, Syscalls.LockEx | Syscalls.LockNb) == 0)
            {
                return true;
            }
        }
        return false;
    }

    private static int EmptyDirectory(string dir)
    {
        using var root = RootedDirectory.Open(dir);
        var count = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            root.RemoveAll(System.IO.Path.GetFileName(entry));
            count++;
        }
        return count;
    }

    public void Dispose()
    {
        Metadata.Dispose();
        Syscalls.Close(_lockFd);
    }
}
