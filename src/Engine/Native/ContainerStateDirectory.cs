using System.Globalization;
using System.Text;

namespace Builder.Engine.Native;

/// <summary>
/// The per-container directory under the engine's state root: an owner record (engine pid and
/// start time) by which a later engine recognizes the directory as a leftover of a dead one, and
/// for OCI runtimes the bundle and /etc files. (The native helper covers it with a private tmpfs
/// for its /etc files, visible only in the container's mount namespace.)
/// </summary>
internal sealed class ContainerStateDirectory : IDisposable
{
    private const string OwnerFile = "owner";

    private ContainerStateDirectory(string path, string id)
    {
        Path = path;
        Id = id;
    }

    public string Path { get; }

    public string Id { get; }

    public static ContainerStateDirectory Create(string stateRoot)
    {
        Directory.CreateDirectory(stateRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var path = System.IO.Path.Combine(stateRoot, id);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(System.IO.Path.Combine(path, OwnerFile), EngineProcess.Current.ToString());
        return new ContainerStateDirectory(path, id);
    }

    /// <summary>Writes a file into the directory and returns its path.</summary>
    public string WriteFile(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    public void WriteFile(string name, byte[] content) => File.WriteAllBytes(System.IO.Path.Combine(Path, name), content);

    /// <summary>The owner recorded in a state directory, or null if unreadable.</summary>
    public static EngineProcess? OwnerOf(string directory)
    {
        try
        {
            return EngineProcess.Parse(File.ReadAllText(System.IO.Path.Combine(directory, OwnerFile)));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        try
        {
            // The native executor leaves only the owner record: two syscalls instead of a directory walk.
            File.Delete(System.IO.Path.Combine(Path, OwnerFile));
            Directory.Delete(Path, recursive: false);
        }
        catch (IOException e) when (e is not DirectoryNotFoundException)
        {
            Directory.Delete(Path, recursive: true); // an OCI bundle, or anything else left inside
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>A process identified by pid and start time, so a recycled pid is not mistaken for it.</summary>
internal sealed record EngineProcess(int Pid, long StartTime)
{
    public static EngineProcess Current { get; } = new(Environment.ProcessId, StartTimeOf(Environment.ProcessId) ?? 0);

    public bool IsAlive => StartTimeOf(Pid) == StartTime;

    public override string ToString() => $"{Pid} {StartTime}";

    public static EngineProcess? Parse(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 2 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var start)
            ? new EngineProcess(pid, start)
            : null;
    }

    /// <summary>Field 22 of /proc/PID/stat (after the parenthesised command name, which may contain spaces).</summary>
    private static long? StartTimeOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
