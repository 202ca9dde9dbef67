using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// A started builder-init that forks one helper per container request instead of the engine
/// exec'ing a fresh one: the NativeAOT start (loader, runtime init, page faults) is paid once per
/// engine process. Its children get PR_SET_PDEATHSIG against it, and it against the engine, so
/// the kill-on-engine-death chain stays intact.
/// </summary>
internal static class Zygote
{
    public const string Flag = "--zygote";

    private const int SocketFd = 3;
    private const int Fds = StatusProtocol.ConfigFd + 1;

    public static int Run(int enginePid, Func<int, int> runHelper)
    {
        LibC.prctl(LibC.PR_SET_PDEATHSIG, LibC.SIGKILL, 0, 0, 0);
        if (LibC.getppid() != enginePid)
        {
            return 1;
        }
        LibC.close_range(SocketFd + 1, uint.MaxValue, 0);
        // The helpers are reaped by the kernel: nobody waits for them here (the engine watches
        // the status pipe), and no zombie accumulates.
        const nint SIG_IGN = 1, SIG_DFL = 0;
        LibC.signal(LibC.SIGCHLD, SIG_IGN);
        var self = LibC.getpid();
        Span<int> fds = stackalloc int[FdPassing.MaxFds];
        while (true)
        {
            var count = FdPassing.Receive(SocketFd, fds);
            if (count == 0)
            {
                return 0; // the engine closed its end
            }
            if (count < 0)
            {
                if (count == -1 && LibC.Errno != LibC.EINTR)
                {
                    return 1;
                }
                continue;
            }
            if (count == Fds)
            {
                var pid = LibC.fork();
                if (pid == 0)
                {
                    LibC.signal(LibC.SIGCHLD, SIG_DFL); // the helper waits for its own child
                    LibC._exit(TakeFds(fds[..Fds]) ? runHelper(self) : 1);
                }
            }
            foreach (var fd in fds[..count])
            {
                LibC.close(fd);
            }
        }
    }

    /// <summary>Moves the received fds to 0..5 (via fds above 5, so none overwrites another) and closes the rest, the socket included.</summary>
    private static bool TakeFds(Span<int> fds)
    {
        for (var i = 0; i < fds.Length; i++)
        {
            fds[i] = LibC.fcntl(fds[i], LibC.F_DUPFD, Fds);
            if (fds[i] < 0)
            {
                return false;
            }
        }
        for (var i = 0; i < fds.Length; i++)
        {
            if (LibC.dup2(fds[i], i) < 0)
            {
                return false;
            }
        }
        LibC.close_range(Fds, uint.MaxValue, 0);
        return true;
    }
}
