using Builder.Engine.Cgroups;

namespace Builder.Engine.Native;

/// <summary>
/// Removes what an engine killed mid-run left behind: its containers' processes died with it
/// (PR_SET_PDEATHSIG, then the pid namespace), but their state directories and cgroups remain.
/// Runs once per state root and process, before the first container starts.
/// </summary>
internal static class LeftoverSweeper
{
    private static readonly HashSet<string> Swept = [];

    public static void SweepOnce(string stateRoot, CgroupHierarchy cgroups)
    {
        lock (Swept)
        {
            if (!Swept.Add(stateRoot))
            {
                return;
            }
        }
        Sweep(stateRoot, cgroups);
    }

    public static void Sweep(string stateRoot, CgroupHierarchy cgroups)
    {
        if (Directory.Exists(stateRoot))
        {
            foreach (var dir in Directory.EnumerateDirectories(stateRoot))
            {
                var id = Path.GetFileName(dir);
                var owner = ContainerStateDirectory.OwnerOf(dir);
                // A directory without an owner record may be one being created right now.
                var young = DateTime.UtcNow - Directory.GetCreationTimeUtc(dir) < TimeSpan.FromMinutes(1);
                if (owner is null ? young : owner.IsAlive)
                {
                    continue;
                }
                ContainerCgroup.DestroyDirectories(cgroups.DirectoriesOf(id));
                Directory.Delete(dir, recursive: true);
            }
        }
        // A cgroup without a state directory (deleted by hand, or of an engine using another state
        // root) is removed only when empty and old: a live container's cgroup has processes, and a
        // new one is joined within milliseconds of its creation.
        foreach (var id in cgroups.ContainerIds())
        {
            if (Directory.Exists(Path.Combine(stateRoot, id)))
            {
                continue;
            }
            var directories = cgroups.DirectoriesOf(id).ToList();
            var idle = directories.All(d =>
                DateTime.UtcNow - Directory.GetLastWriteTimeUtc(d) > TimeSpan.FromMinutes(1)
                && (!File.Exists(Path.Combine(d, "cgroup.procs")) || File.ReadAllText(Path.Combine(d, "cgroup.procs")).Trim().Length == 0));
            if (idle)
            {
                try
                {
                    ContainerCgroup.DestroyDirectories(directories);
                }
                catch (IOException)
                {
                    // Became busy meanwhile: not a leftover.
                }
            }
        }
    }
}
