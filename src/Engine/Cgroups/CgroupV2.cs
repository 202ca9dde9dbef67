using System.Globalization;

namespace Builder.Engine.Cgroups;

/// <summary>cgroup v2: one directory in the unified hierarchy, controllers enabled on the way down.</summary>
internal sealed class CgroupV2 : ContainerCgroup
{
    private const long CpuPeriodMicroseconds = 100_000;
    private readonly string _dir;

    private CgroupV2(string dir) => _dir = dir;

    public override IReadOnlyList<string> Directories => [_dir];

    public override bool IsUnified => true;

    public static CgroupV2 Create(string mountRoot, string parent, string id, ResourceLimits limits)
    {
        var parentDir = Path.Combine(mountRoot, parent);
        Directory.CreateDirectory(parentDir);
        EnableControllers(mountRoot);
        EnableControllers(parentDir);
        var dir = Path.Combine(parentDir, id);
        Directory.CreateDirectory(dir);
        try
        {
            if (limits.MemoryBytes is { } bytes)
            {
                Write(dir, "memory.max", bytes.ToString(CultureInfo.InvariantCulture));
                if (File.Exists(Path.Combine(dir, "memory.swap.max")))
                {
                    Write(dir, "memory.swap.max", "0");
                }
            }
            if (limits.Pids is { } max)
            {
                Write(dir, "pids.max", max.ToString(CultureInfo.InvariantCulture));
            }
            if (limits.Cpus is { } cpus)
            {
                Write(dir, "cpu.max", $"{(long)(cpus * CpuPeriodMicroseconds)} {CpuPeriodMicroseconds}");
            }
            return new CgroupV2(dir);
        }
        catch
        {
            DestroyDirectories([dir]);
            throw;
        }
    }

    public override long OomKills() => ReadKey(Path.Combine(_dir, "memory.events"), "oom_kill");

    private static void EnableControllers(string dir)
    {
        var available = File.ReadAllText(Path.Combine(dir, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var controller in new[] { "memory", "pids", "cpu" }.Where(available.Contains))
        {
            try
            {
                Write(dir, "cgroup.subtree_control", "+" + controller);
            }
            catch (IOException)
            {
                // Already enabled, or the parent has processes: limits of this controller are then unavailable.
            }
        }
    }
}
