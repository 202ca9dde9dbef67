using System.Text;
using Builder.Engine.Interop;

namespace Builder.Engine.Init;

/// <summary>
/// Reads /etc/passwd and /etc/group after pivot_root, as plain data: only regular files of
/// bounded size (a FIFO or /dev/zero planted in an image cannot hang or exhaust the init).
/// </summary>
internal static unsafe class ContainerFiles
{
    private const long MaxSize = 16 << 20;

    /// <returns>The file's text, or null when it does not exist.</returns>
    public static string? ReadSmallFile(string path)
    {
        var fd = LibC.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC | LibC.O_NOCTTY, 0);
        if (fd < 0)
        {
            return LibC.Errno is LibC.ENOENT or LibC.ENOTDIR ? null : throw LibC.Fail($"open {path}");
        }
        try
        {
            var stat = stackalloc byte[LibC.StatSize];
            if (LibC.fstat(fd, stat) != 0)
            {
                throw LibC.Fail($"fstat {path}");
            }
            var (mode, size) = LibC.ModeAndSize(stat);
            if ((mode & LibC.S_IFMT) != LibC.S_IFREG || size > MaxSize)
            {
                throw new InvalidDataException($"{path} in the container is not a regular file of at most {MaxSize} bytes");
            }
            var buffer = new byte[size];
            var done = 0;
            fixed (byte* p = buffer)
            {
                while (done < buffer.Length)
                {
                    var n = LibC.read(fd, p + done, buffer.Length - done);
                    if (n < 0 && LibC.Errno == LibC.EINTR)
                    {
                        continue;
                    }
                    if (n <= 0)
                    {
                        break;
                    }
                    done += (int)n;
                }
            }
            return Encoding.UTF8.GetString(buffer, 0, done);
        }
        finally
        {
            LibC.close(fd);
        }
    }
}
