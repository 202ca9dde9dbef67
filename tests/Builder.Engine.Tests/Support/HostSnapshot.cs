namespace Builder.Engine.Tests.Support;

/// <summary>
/// The host state a container could leak into: mounts (in the host's mount table), processes
/// (children of the test process, or any process whose root is inside the test's directory),
/// the engine's state directories and the container cgroups. Compared before and after a test.
/// </summary>
public sealed record HostSnapshot(string[] Mounts, string[] Processes, string[] StateEntries, string[] Cgroups)
{
    private static readonly string[] EngineFsTypes = ["proc", "sysfs", "devpts", "mqueue"];

    public static HostSnapshot Take(string testDirectory, string stateRoot) => new(
        MountsOf(testDirectory, stateRoot),
        ProcessesOf(testDirectory),
        Directory.Exists(stateRoot) ? Directory.GetFileSystemEntries(stateRoot).Order().ToArray() : [],
        CgroupDirectories());

    public void AssertSameAs(HostSnapshot before)
    {
        Assert.Equal(before.Mounts, Mounts);
        Assert.Equal(before.Processes, Processes);
        Assert.Equal(before.StateEntries, StateEntries);
        Assert.Equal(before.Cgroups, Cgroups);
    }

    /// <summary>Every mount under the test directory or state root, and every mount of the kinds the engine creates.</summary>
    private static string[] MountsOf(string testDirectory, string stateRoot) =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(f =>
            {
                var mountPoint = f[4];
                var fsType = f[Array.IndexOf(f, "-") + 1];
                return mountPoint.StartsWith(testDirectory, StringComparison.Ordinal)
                    || mountPoint.StartsWith(stateRoot, StringComparison.Ordinal)
                    || EngineFsTypes.Contains(fsType);
            })
            .Select(f => string.Join(' ', f.Skip(4)))
            .Order()
            .ToArray();

    public static string[] ProcessesOf(string testDirectory)
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var pid = Path.GetFileName(dir);
            if (!pid.All(char.IsAsciiDigit) || pid == self)
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                var root = new FileInfo(Path.Combine(dir, "root")).LinkTarget ?? "";
                if (ppid == self || root.StartsWith(testDirectory, StringComparison.Ordinal))
                {
                    result.Add($"{pid} {stat[..(stat.LastIndexOf(')') + 1)]} root={root}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return result.Order().ToArray();
    }

    private static string[] CgroupDirectories() =>
        new[] { "memory", "pids", "cpu", "" }
            .Select(c => Path.Combine("/sys/fs/cgroup", c, "builder"))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Order()
            .ToArray();
}
