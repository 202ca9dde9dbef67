using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Mounts;
using Builder.Snapshotter.Paths;

namespace Builder.Snapshotter.Snapshots;

/// <summary>
/// The fallback without overlayfs: each active snapshot starts as a full copy of its parent's tree and
/// is mounted by bind. Slower and larger, but the same lifecycle; layer diffs compare against the parent.
/// </summary>
internal sealed class CopyDriver : ISnapshotDriver
{
    public string Name => "copy";

    public bool StoresDiffs => false;

    public void Create(SnapshotKind kind, SnapshotPaths paths, IReadOnlyList<string> parentChain)
    {
        Directory.CreateDirectory(paths.Fs);
        if (kind == SnapshotKind.Active && parentChain.Count > 0)
        {
            using var dest = RootedDirectory.Open(paths.Fs);
            new TreeCopier(dest, new CopyOptions()).CopyContents(parentChain[0], "", "");
        }
    }

    public IReadOnlyList<MountSpec> Mounts(SnapshotKind kind, SnapshotPaths paths, IReadOnlyList<string> parentChain) => kind == SnapshotKind.View
        ? [new MountSpec("bind", parentChain.Count > 0 ? parentChain[0] : paths.Fs, ["ro", "rbind"])]
        : [new MountSpec("bind", paths.Fs, ["rw", "rbind"])];
}
