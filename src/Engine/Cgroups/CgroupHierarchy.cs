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

    /// <summary>
    /// Every cgroup directory of container <paramref name="id"/> in every mounted hierarchy, children
    /// before parents: an OCI runtime creates its cgroup in all v1 hierarchies, not only ours.
    /// </summary>
    public IEnumerable<string> DirectoriesOf(string id)
    {
        var hierarchies = IsUnified ? [mountRoot] : Directory.EnumerateDirectories(mountRoot).Prepend(mountRoot);
        return hierarchies
            .Select(h => Path.Combine(h, parent, id))
            .Where(Directory.Exists)
            .SelectMany(dir => Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(dir))
            .ToList();
    }

    /// <summary>Ids of container cgroups under our parent in any hierarchy.</summary>
    public IEnumerable<string> ContainerIds()
    {
        var hierarchies = IsUnified ? [mountRoot] : Directory.EnumerateDirectories(mountRoot).Prepend(mountRoot);
        return hierarchies
            .Select(h => Path.Combine(h, parent))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Distinct()
            .ToList();
    }
}
