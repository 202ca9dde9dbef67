using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Oci;

/// <summary>
/// Reads files of a rootfs from the host before an OCI runtime starts the container: the path is
/// resolved inside the rootfs (<see cref="RootedPath"/>), the last component is opened without
/// following symlinks, and only a bounded regular file is read, as plain data.
/// </summary>
internal static unsafe class RootfsFiles
{
    private const long MaxSize = 16 << 20;

    public static string? ReadSmallFile(string rootFs, string containerPath)
    {
        var path = RootedPath.Resolve(rootFs, containerPath, RootedPath.Escapes.Clamp);
        if (!path.Exists)
        {
            return null;
        }
        var fd = LibC.open(path.HostPath, LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_NONBLOCK | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0);
        if (fd < 0)
        {
            throw LibC.Fail($"open {containerPath} in the rootfs");
        }
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        var stat = stackalloc byte[LibC.StatSize];
        if (LibC.fstat(fd, stat) != 0)
        {
            throw LibC.Fail($"fstat {containerPath}");
        }
        var (mode, size) = LibC.ModeAndSize(stat);
        if ((mode & LibC.S_IFMT) != LibC.S_IFREG || size > MaxSize)
        {
            throw new InvalidDataException($"{containerPath} in the rootfs is not a regular file of at most {MaxSize} bytes");
        }
        var buffer = new byte[size];
        var read = RandomAccess.Read(handle, buffer, 0);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    /// <summary>
    /// Looks up a command as execvp would inside the container: through PATH unless it has a '/'.
    /// </summary>
    /// <returns>Null when found and executable, else the failure the native executor reports too.</returns>
    public static StartFailure? CheckCommand(string rootFs, string command, IEnumerable<string> env)
    {
        var candidates = command.Contains('/')
            ? [command]
            : (env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "")
                .Split(':').Select(dir => (dir.Length == 0 ? "/" : dir) + "/" + command).ToArray();
        var sawNonExecutable = false;
        var stat = stackalloc byte[LibC.StatSize];
        foreach (var candidate in candidates)
        {
            var path = RootedPath.Resolve(rootFs, candidate.StartsWith('/') ? candidate : "/" + candidate, RootedPath.Escapes.Clamp);
            if (!path.Exists || LibC.stat(path.HostPath, stat) != 0)
            {
                continue;
            }
            var (mode, _) = LibC.ModeAndSize(stat);
            if ((mode & LibC.S_IFMT) == LibC.S_IFREG && (mode & 0x49 /* 0111 */) != 0)
            {
                return null;
            }
            sawNonExecutable = true;
        }
        return sawNonExecutable
            ? new StartFailure(StartFailureKind.CommandNotExecutable, $"{command}: permission denied or not an executable")
            : new StartFailure(StartFailureKind.CommandNotFound,
                command.Contains('/') ? $"{command}: no such file or directory" : $"exec: \"{command}\": executable file not found in $PATH");
    }
}
