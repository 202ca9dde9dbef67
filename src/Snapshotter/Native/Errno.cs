using System.Runtime.InteropServices;

namespace Builder.Snapshotter.Native;

/// <summary>Turns a failed libc call into an exception that names the call, the path and the cause.</summary>
internal static class Errno
{
    public static int Last => Marshal.GetLastPInvokeError();

    public static IOException Exception(int errno, string call, string path) =>
        new ErrnoException(errno, $"{call} {path}: {Marshal.GetPInvokeErrorMessage(errno)}");

    /// <summary>Throws for the current errno when <paramref name="rc"/> is negative.</summary>
    public static void Check(long rc, string call, string path)
    {
        if (rc < 0)
        {
            throw Exception(Last, call, path);
        }
    }
}

/// <summary>An I/O failure that keeps the errno, so callers can tell ENOENT from EEXIST.</summary>
public sealed class ErrnoException(int errno, string message) : IOException(message)
{
    public int Errno { get; } = errno;
}
