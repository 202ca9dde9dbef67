namespace Builder.Engine.Cgroups;

/// <summary>Which cgroup version the host runs, and where containers' cgroups go.</summary>
internal sealed class CgroupHierarchy(string mountRoot, string parent)
{
    /// <summary>The host's hierarchy under /sys/fs/cgroup, containers under "builder".</summary>
    public static CgroupHierarchy Host { get; } = new("/sys/fs/cgroup", "builder");

    /// <summary>v2 when /sys/fs/cgroup itself is the unified hierarchy; a hybrid host (v1 controllers) counts as v1.</summary>
    public bool IsUnified => File.Exists(Path.Combine(mountRoot, "cgroup.controllers"));

    public ContainerCgroup Create(string id, ResourceLimits limits) =>
        IsUnified ? CgroupV2.Create(mountRoot, parent, id, limits) : CgroupV1.Create(mountRoot, parent, id, limits);

    /// <summary>Container cgroup directories that exist for <paramref name="id"/> (for leftover clean-up).</summary>
    public IEnumerable<string> DirectoriesOf(string id) =>
        (IsUnified ? [Path.Combine(mountRoot, parent, id)] : new[] { "memory", "pids", "cpu" }.Select(c => Path.Combine(mountRoot, c, parent, id)))
        .Where(Directory.Exists);
}
