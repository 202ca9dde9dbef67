using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>Writes status lines (see <see cref="StatusProtocol"/>) to the engine.</summary>
internal static unsafe class Status
{
    public static void Fail(StartFailureKind kind, string message) => Write(StatusProtocol.FailLine(kind, message));

    public static void Stub(string containerPath) => Write($"{StatusProtocol.Stub} {containerPath}\n");

    public static void Exit(int code) => Write($"{StatusProtocol.Exit} {code}\n");

    public static void Signal(int signal) => Write($"{StatusProtocol.Signal} {signal}\n");

    /// <summary>Reports a wait(2) status of the command or of the container's init.</summary>
    public static void WaitStatus(int status)
    {
        if (LibC.WIFEXITED(status))
        {
            Exit(LibC.WEXITSTATUS(status));
        }
        else if (LibC.WIFSIGNALED(status))
        {
            Signal(LibC.WTERMSIG(status));
        }
    }

    private static void Write(string line) => WriteRaw(Encoding.UTF8.GetBytes(line));

    public static void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            WriteRaw(p, bytes.Length);
        }
    }

    /// <summary>Allocation-free write, safe between fork and exec.</summary>
    public static void WriteRaw(byte* p, int length)
    {
        var done = 0;
        while (done < length)
        {
            var n = LibC.write(StatusProtocol.StatusFd, p + done, length - done);
            if (n < 0 && LibC.Errno == LibC.EINTR)
            {
                continue;
            }
            if (n <= 0)
            {
                return;
            }
            done += (int)n;
        }
    }
}
