using Builder.Engine.Cgroups;

namespace Builder.Engine.Tests;

/// <summary>
/// The limits each cgroup version writes, checked on a fake hierarchy (plain directories), so the
/// v2 code path is exercised on this v1 host too. Real enforcement is tested by the container suite.
/// </summary>
public sealed class CgroupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cgroup-fake-").FullName;

    [Fact]
    public void V1_writes_memory_pids_and_cpu_limits_in_their_hierarchies()
    {
        foreach (var controller in new[] { "memory", "pids", "cpu" })
        {
            Directory.CreateDirectory(Path.Combine(_root, controller));
        }
        var hierarchy = new CgroupHierarchy(_root, "builder");
        Assert.False(hierarchy.IsUnified);
        var cgroup = hierarchy.Create("c1", new ResourceLimits(MemoryBytes: 64 << 20, Pids: 30, Cpus: 1.5));
        Assert.Equal("67108864", Read("memory/builder/c1/memory.limit_in_bytes"));
        Assert.Equal("30", Read("pids/builder/c1/pids.max"));
        Assert.Equal("150000", Read("cpu/builder/c1/cpu.cfs_quota_us"));
        Assert.Equal("100000", Read("cpu/builder/c1/cpu.cfs_period_us"));
        Assert.Equal(
            new[] { "memory", "pids", "cpu" }.Select(c => Path.Combine(_root, c, "builder/c1/cgroup.procs")),
            cgroup.ProcsFiles);
    }

    [Fact]
    public void V2_enables_controllers_and_writes_limits_in_one_directory()
    {
        File.WriteAllText(Path.Combine(_root, "cgroup.controllers"), "cpuset cpu io memory pids\n");
        Directory.CreateDirectory(Path.Combine(_root, "builder"));
        File.WriteAllText(Path.Combine(_root, "builder", "cgroup.controllers"), "cpu memory pids\n");
        var hierarchy = new CgroupHierarchy(_root, "builder");
        Assert.True(hierarchy.IsUnified);
        var cgroup = hierarchy.Create("c2", new ResourceLimits(MemoryBytes: 32 << 20, Pids: 10, Cpus: 0.5));
        Assert.True(cgroup.IsUnified);
        Assert.Equal("33554432", Read("builder/c2/memory.max"));
        Assert.Equal("10", Read("builder/c2/pids.max"));
        Assert.Equal("50000 100000", Read("builder/c2/cpu.max"));
        // Controllers are enabled on the way down (a real cgroupfs keeps all of them; a plain file the last write).
        Assert.StartsWith("+", Read("cgroup.subtree_control"));
        Assert.StartsWith("+", Read("builder/cgroup.subtree_control"));
        Assert.Equal([Path.Combine(_root, "builder/c2/cgroup.procs")], cgroup.ProcsFiles);
    }

    private string Read(string relative) => File.ReadAllText(Path.Combine(_root, relative));

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
