using System.Globalization;

namespace Builder.Engine.Tests.Support;

/// <summary>The host's process tree and open fds, read from /proc.</summary>
public static class HostProcesses
{
    /// <summary>Every live process below <paramref name="ancestor"/> (children, grandchildren, ...), as pid and command name.</summary>
    public static IReadOnlyList<(int Pid, string Name)> DescendantsOf(int ancestor)
    {
        var parents = new Dictionary<int, (int Parent, string Name)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var open = stat.IndexOf('(');
                var close = stat.LastIndexOf(')');
                var parent = int.Parse(stat[(close + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                parents[pid] = (parent, stat[(open + 1)..close]);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }
        return parents.Where(p => IsBelow(p.Key, ancestor, parents)).Select(p => (p.Key, p.Value.Name)).OrderBy(p => p.Key).ToList();
    }

    /// <summary>The fd numbers and targets of a process ("3 pipe:[1234]"); none once it ended.</summary>
    public static string[] OpenFds(int pid)
    {
        try
        {
            return ReadFds(pid);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static string[] ReadFds(int pid)
    {
        var result = new List<string>();
        if (!Directory.Exists($"/proc/{pid}/fd"))
        {
            return [];
        }
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                result.Add($"{Path.GetFileName(fd)} {new FileInfo(fd).LinkTarget}");
            }
            catch (IOException)
            {
                // Closed while we looked (the directory stream's own fd, for one).
            }
        }
        return result.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Whether any process (or thread) still has the namespace "net:[INODE]" open as its own.</summary>
    public static bool NetworkNamespaceInUse(string ns)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!Path.GetFileName(dir).All(char.IsAsciiDigit))
            {
                continue;
            }
            try
            {
                if (new FileInfo(Path.Combine(dir, "ns/net")).LinkTarget == ns)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        // A namespace kept alive by a bind mount (ip netns add) would show as an nsfs mount.
        return File.ReadAllText("/proc/self/mountinfo").Contains(ns, StringComparison.Ordinal);
    }

    private static bool IsBelow(int pid, int ancestor, Dictionary<int, (int Parent, string Name)> parents)
    {
        for (var depth = 0; depth < 64 && parents.TryGetValue(pid, out var entry); depth++)
        {
            if (entry.Parent == ancestor)
            {
                return true;
            }
            pid = entry.Parent;
        }
        return false;
    }
}
