using System.Globalization;

namespace Builder.Engine.Cgroups;

/// <summary>
/// The cgroup(s) that hold one container and enforce its limits. The helper joins them before it
/// creates the namespaces, so every process of the container is inside from its first instruction.
/// </summary>
internal abstract class ContainerCgroup
{
    /// <summary>Every cgroup directory of this container (one per v1 hierarchy, one on v2).</summary>
    public abstract IReadOnlyList<string> Directories { get; }

    /// <summary>True on cgroup v2, where the container also gets a cgroup namespace.</summary>
    public abstract bool IsUnified { get; }

    public IEnumerable<string> ProcsFiles => Directories.Select(d => Path.Combine(d, "cgroup.procs"));

    /// <summary>How many times the kernel's OOM killer killed a process of this cgroup.</summary>
    public abstract long OomKills();

    /// <summary>SIGKILLs whatever is left and removes the directories.</summary>
    public void Destroy()
    {
        Release();
        DestroyDirectories(Directories);
    }

    /// <summary>Closes fds held on the cgroup's files.</summary>
    protected virtual void Release()
    {
    }

    /// <summary>Kills the processes of cgroup directories (deepest first) and removes them; used for leftovers too.</summary>
    public static void DestroyDirectories(IEnumerable<string> directories)
    {
        foreach (var dir in directories)
        {
            if (!Directory.Exists(dir))
            {
                continue;
            }
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    KillAll(dir);
                    Directory.Delete(dir);
                    break;
                }
                catch (DirectoryNotFoundException)
                {
                    break; // removed meanwhile (an OCI runtime removing its own cgroup)
                }
                catch (IOException) when (attempt < 200)
                {
                    // EBUSY while killed tasks finish exiting.
                    Thread.Sleep(5);
                }
            }
        }
    }

    private static void KillAll(string dir)
    {
        var procs = Path.Combine(dir, "cgroup.procs");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(procs);
        }
        catch (FileNotFoundException)
        {
            return;
        }
        foreach (var line in lines)
        {
            if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                Interop.LibC.kill(pid, Interop.LibC.SIGKILL);
            }
        }
    }

    protected static void Write(string dir, string file, string value) =>
        File.WriteAllText(Path.Combine(dir, file), value);

    /// <summary>Reads "key value" lines (memory.events, memory.oom_control).</summary>
    protected static long ReadKey(string file, string key)
    {
        if (!File.Exists(file))
        {
            return 0;
        }
        foreach (var line in File.ReadAllLines(file))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }
        return 0;
    }
}
