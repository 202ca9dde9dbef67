using System.Globalization;

namespace Builder.Engine.Cgroups;

/// <summary>cgroup v1: one directory per controller hierarchy (memory, pids, cpu).</summary>
internal sealed class CgroupV1 : ContainerCgroup
{
    private const long CfsPeriodMicroseconds = 100_000;
    private readonly string _memory;

    private CgroupV1(IReadOnlyList<string> directories, string memory)
    {
        Directories = directories;
        _memory = memory;
    }

    public override IReadOnlyList<string> Directories { get; }

    public override bool IsUnified => false;

    public static CgroupV1 Create(string mountRoot, string parent, string id, ResourceLimits limits)
    {
        var memory = Path.Combine(mountRoot, "memory", parent, id);
        var pids = Path.Combine(mountRoot, "pids", parent, id);
        var cpu = Path.Combine(mountRoot, "cpu", parent, id);
        var created = new List<string>();
        try
        {
            foreach (var dir in new[] { memory, pids, cpu })
            {
                Directory.CreateDirectory(dir);
                created.Add(dir);
            }
            if (limits.MemoryBytes is { } bytes)
            {
                var value = bytes.ToString(CultureInfo.InvariantCulture);
                Write(memory, "memory.limit_in_bytes", value);
                // With swap accounting, memory+swap gets the same limit: no swapping around the limit.
                if (File.Exists(Path.Combine(memory, "memory.memsw.limit_in_bytes")))
                {
                    Write(memory, "memory.memsw.limit_in_bytes", value);
                }
            }
            if (limits.Pids is { } max)
            {
                Write(pids, "pids.max", max.ToString(CultureInfo.InvariantCulture));
            }
            if (limits.Cpus is { } cpus)
            {
                Write(cpu, "cpu.cfs_period_us", CfsPeriodMicroseconds.ToString(CultureInfo.InvariantCulture));
                Write(cpu, "cpu.cfs_quota_us", ((long)(cpus * CfsPeriodMicroseconds)).ToString(CultureInfo.InvariantCulture));
            }
            return new CgroupV1(created, memory);
        }
        catch
        {
            DestroyDirectories(created);
            throw;
        }
    }

    public override long OomKills() => ReadKey(Path.Combine(_memory, "memory.oom_control"), "oom_kill");
}
