using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// A started builder-init that forks one helper per container request instead of the engine
/// exec'ing a fresh one: the NativeAOT start (loader, runtime init, page faults) is paid once per
/// engine process. Its children get PR_SET_PDEATHSIG against it, and it against the engine, so
/// the kill-on-engine-death chain stays intact.
/// </summary>
internal static unsafe class Zygote
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
        // The helpers are reaped here through pidfds (not auto-reaped with SIGCHLD ignored) so
        // that their CPU time is accounted to the zygote, as it was to the engine before. A
        // pidfd becomes readable when its process ends, whichever thread a SIGCHLD would reach.
        var self = LibC.getpid();
        Span<int> fds = stackalloc int[FdPassing.MaxFds];
        var helpers = new List<(int Pid, int PidFd)>();
        var poll = new LibC.PollFd[1];
        while (true)
        {
            if (poll.Length != helpers.Count + 1)
            {
                poll = new LibC.PollFd[helpers.Count + 1];
            }
            poll[0] = new LibC.PollFd { Fd = SocketFd, Events = LibC.POLLIN };
            for (var i = 0; i < helpers.Count; i++)
            {
                poll[i + 1] = new LibC.PollFd { Fd = helpers[i].PidFd, Events = LibC.POLLIN };
            }
            fixed (LibC.PollFd* p = poll)
            {
                if (LibC.poll(p, (ulong)poll.Length, -1) < 0)
                {
                    if (LibC.Errno == LibC.EINTR)
                    {
                        continue;
                    }
                    return 1;
                }
            }
            for (var i = helpers.Count - 1; i >= 0; i--)
            {
                if (poll[i + 1].Revents != 0)
                {
                    int status;
                    LibC.waitpid(helpers[i].Pid, &status, 0);
                    LibC.close(helpers[i].PidFd);
                    helpers.RemoveAt(i);
                }
            }
            if (poll[0].Revents == 0)
            {
                continue;
            }
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
                    LibC._exit(TakeFds(fds[..Fds]) ? runHelper(self) : 1);
                }
                if (pid > 0)
                {
                    var pidFd = LibC.pidfd_open(pid);
                    if (pidFd >= 0)
                    {
                        LibC.fcntl(pidFd, LibC.F_SETFD, LibC.FD_CLOEXEC);
                        helpers.Add((pid, pidFd));
                    }
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
