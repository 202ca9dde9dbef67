using Builder.Snapshotter.Mounts;
using Builder.Snapshotter.Snapshots;

namespace Builder.Snapshotter.Tests.Support;

/// <summary>Mounts snapshots for a test and runs code against the mounted tree.</summary>
public static class SnapshotMounts
{
    public static void With(TempDataRoot temp, IReadOnlyList<MountSpec> mounts, Action<string> action)
    {
        var target = temp.NewDir("mnt");
        using (MountedTree.Mount(mounts, target))
        {
            action(target);
        }
        Directory.Delete(target);
    }

    /// <summary>Prepares <paramref name="name"/> on <paramref name="parent"/>, runs <paramref name="change"/> in it and commits.</summary>
    public static void Layer(TempDataRoot temp, string name, string? parent, Action<string> change)
    {
        var store = temp.Root.Snapshots;
        var key = name + "-active";
        With(temp, store.Prepare(key, parent), change);
        store.Commit(name, key);
    }

    /// <summary>Describes the tree of committed <paramref name="name"/> through a view.</summary>
    public static List<string> Describe(TempDataRoot temp, string name, bool withMtime = true)
    {
        var key = "view-" + Guid.NewGuid().ToString("N");
        List<string> lines = [];
        With(temp, temp.Root.Snapshots.View(key, name), dir => lines = TreeDescription.Capture(dir, withMtime));
        temp.Root.Snapshots.Remove(key);
        return lines;
    }
}
