using System.Globalization;

namespace Builder.Engine.Cgroups;

/// <summary>cgroup v1: one directory per controller hierarchy (memory, pids, cpu).</summary>
internal sealed class CgroupV1 : ContainerCgroup
{
    private const long CfsPeriodMicroseconds = 100_000;
    private readonly string _memory;
    private readonly OomNotification? _oomNotification;

    private CgroupV1(IReadOnlyList<string> directories, string memory, OomNotification? oomNotification)
    {
        Directories = directories;
        _memory = memory;
        _oomNotification = oomNotification;
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
            return new CgroupV1(created, memory, limits.MemoryBytes is null || !File.Exists(Path.Combine(memory, "memory.oom_control")) ? null : OomNotification.Register(memory));
        }
        catch
        {
            DestroyDirectories(created);
            throw;
        }
    }

    /// <summary>
    /// v1 counts oom_kill only in the victim's own cgroup, which an OCI runtime's child cgroup takes
    /// away with it; the OOM notification of ours fires for OOMs in our subtree.
    /// </summary>
    public override long OomKills() =>
        Math.Max(ReadKey(Path.Combine(_memory, "memory.oom_control"), "oom_kill"), _oomNotification?.Count() ?? 0);

    protected override void Release() => _oomNotification?.Dispose();
}
