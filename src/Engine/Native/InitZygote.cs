using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Native;

/// <summary>
/// The engine's end of a long-lived `builder-init --zygote` (one per helper path and engine
/// process): each container start is one message with its fds, and the zygote forks the helper.
/// This saves the helper's exec and NativeAOT runtime start (2-3 ms) on every container. The
/// zygote is spawned by a thread that lives exactly as long as it (see <see cref="InitProcess"/>),
/// so its PR_SET_PDEATHSIG fires only when the engine dies; a zygote that ended is replaced (its socket is left open,
/// so a concurrent sender never writes to a reused fd number).
/// </summary>
internal sealed class InitZygote
{
    private static readonly Dictionary<string, InitZygote> Zygotes = [];

    private readonly int _socket;
    private readonly InitProcess _process;

    private InitZygote(int socket, InitProcess process)
    {
        _socket = socket;
        _process = process;
    }

    /// <summary>Starts the zygote for this helper unless one is running.</summary>
    public static void EnsureStarted(string initPath) => For(initPath);

    /// <summary>Has the zygote fork a helper with these fds as its 0..5.</summary>
    public static void Fork(string initPath, ReadOnlySpan<int> fds)
    {
        var error = For(initPath).Send(fds);
        if (error != 0)
        {
            // The zygote ended between the check and the send: start another and retry once.
            error = For(initPath).Send(fds);
            if (error != 0)
            {
                throw new InvalidOperationException($"handing the container to the init zygote: {LibC.ErrorText(error)}");
            }
        }
    }

    private int Send(ReadOnlySpan<int> fds) => _process.Exited.IsCompleted ? LibC.EPIPE : FdPassing.Send(_socket, fds);

    private static unsafe InitZygote For(string initPath)
    {
        lock (Zygotes)
        {
            if (Zygotes.TryGetValue(initPath, out var running) && !running._process.Exited.IsCompleted)
            {
                return running;
            }
            var pair = stackalloc int[2];
            if (LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0, pair) != 0)
            {
                throw LibC.Fail("socketpair");
            }
            var devNull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
            try
            {
                var process = InitProcess.Start(
                    initPath,
                    [initPath, "--zygote", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                    [devNull, devNull, devNull, pair[1]]);
                var zygote = new InitZygote(pair[0], process);
                Zygotes[initPath] = zygote;
                return zygote;
            }
            catch
            {
                LibC.close(pair[0]);
                throw;
            }
            finally
            {
                LibC.close(pair[1]);
                LibC.close(devNull);
            }
        }
    }
}
