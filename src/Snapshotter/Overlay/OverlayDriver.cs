using Builder.Snapshotter.Mounts;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Snapshots;

namespace Builder.Snapshotter.Overlay;

/// <summary>
/// overlayfs: a snapshot's fs dir is an upperdir; its committed ancestors are the lowerdirs. Committing is
/// a metadata change because the upperdir already is the layer.
/// </summary>
internal sealed class OverlayDriver : ISnapshotDriver
{
    public string Name => "overlayfs";

    public bool StoresDiffs => true;

    public void Create(SnapshotKind kind, SnapshotPaths paths, IReadOnlyList<string> parentChain)
    {
        Directory.CreateDirectory(paths.Fs);
        if (kind == SnapshotKind.Active)
        {
            Directory.CreateDirectory(paths.Work);
        }
    }

    public IReadOnlyList<MountSpec> Mounts(SnapshotKind kind, SnapshotPaths paths, IReadOnlyList<string> parentChain)
    {
        if (kind == SnapshotKind.View)
        {
            return parentChain.Count switch
            {
                0 => [new MountSpec("bind", paths.Fs, ["ro", "rbind"])],
                1 => [new MountSpec("bind", parentChain[0], ["ro", "rbind"])],
                _ => [new MountSpec("overlay", "overlay", ["ro", "lowerdir=" + string.Join(':', parentChain)])],
            };
        }
        if (parentChain.Count == 0)
        {
            return [new MountSpec("bind", paths.Fs, ["rw", "rbind"])];
        }
        return
        [
            new MountSpec("overlay", "overlay",
            [
                "index=off",
                "lowerdir=" + string.Join(':', parentChain),
                "upperdir=" + paths.Fs,
                "workdir=" + paths.Work,
            ]),
        ];
    }

    /// <summary>True when an overlay mount works under <paramref name="scratch"/> (kernel support and privileges).</summary>
    public static bool IsSupported(string scratch)
    {
        var dir = Path.Combine(scratch, "overlay-check-" + Guid.NewGuid().ToString("N"));
        var lower1 = Path.Combine(dir, "l1");
        var lower2 = Path.Combine(dir, "l2");
        var upper = Path.Combine(dir, "u");
        var work = Path.Combine(dir, "w");
        var merged = Path.Combine(dir, "m");
        foreach (var d in new[] { lower1, lower2, upper, work, merged })
        {
            Directory.CreateDirectory(d);
        }
        try
        {
            if (Syscalls.Mount("overlay", merged, "overlay", 0, $"index=off,lowerdir={lower1}:{lower2},upperdir={upper},workdir={work}") < 0)
            {
                return false;
            }
            Syscalls.Umount2(merged, Syscalls.MntDetach);
            return true;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
