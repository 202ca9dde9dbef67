namespace Builder.Engine.Tests.Support;

/// <summary>
/// The host state a container could leak into: mounts (in the host's mount table), processes
/// (children of the test process, or any process whose root is inside the test's directory),
/// the engine's state directories and the container cgroups. Compared before and after a test.
/// </summary>
public sealed record HostSnapshot(string[] Mounts, string[] Processes, string[] StateEntries, string[] Cgroups)
{
    private static readonly string[] EngineFsTypes = ["proc", "sysfs", "devpts", "mqueue", "nsfs"];

    public static HostSnapshot Take(string testDirectory, string stateRoot) => new(
        MountsOf(testDirectory, stateRoot),
        ProcessesOf(testDirectory),
        Directory.Exists(stateRoot) ? Directory.GetFileSystemEntries(stateRoot).Order().ToArray() : [],
        CgroupDirectories());

    /// <summary>
    /// Mounts must be identical; processes, state entries and cgroups may only have gone (an
    /// earlier test's process ending, the engine's sweep removing a stale cgroup), never appeared.
    /// </summary>
    public void AssertSameAs(HostSnapshot before)
    {
        Assert.Equal(before.Mounts, Mounts);
        Assert.Empty(Processes.Except(before.Processes));
        Assert.Empty(StateEntries.Except(before.StateEntries));
        Assert.Empty(Cgroups.Except(before.Cgroups));
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

    /// <summary>
    /// Descendants of the test process (the init zygote, and whatever a container run left: a
    /// supervisor, slirp4netns), and processes of other pid namespaces whose mount table
    /// mentions the test directory (a container's root mount names its rootfs there; /proc/PID/root
    /// cannot be used, it reads "/" for a root outside our mount namespace).
    /// </summary>
    public static string[] ProcessesOf(string testDirectory)
    {
        var self = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ownPidNamespace = new FileInfo("/proc/self/ns/pid").LinkTarget;
        var descendants = HostProcesses.DescendantsOf(Environment.ProcessId).Select(p => p.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
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
                var inContainer = new FileInfo(Path.Combine(dir, "ns/pid")).LinkTarget != ownPidNamespace
                    && File.ReadAllText(Path.Combine(dir, "mountinfo")).Contains(testDirectory, StringComparison.Ordinal);
                if (descendants.Contains(pid) || inContainer)
                {
                    result.Add($"{pid} {stat[..(stat.LastIndexOf(')') + 1)]}{(inContainer ? " in container" : "")}");
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
        Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup")
            .Select(c => Path.Combine(c, "builder"))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateDirectories)
            .Order()
            .ToArray();
}
