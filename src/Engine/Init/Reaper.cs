using Builder.Engine.Interop;

namespace Builder.Engine.Init;

/// <summary>
/// PID 1's duties: signals sent to the container (by the engine through the pid namespace's
/// parent, or by a TTY) go to the command, and every orphan that the kernel re-parents to PID 1
/// is reaped so no zombie accumulates. Signals are read from a signalfd, so nothing runs in a
/// signal handler.
/// </summary>
internal sealed unsafe class Reaper
{
    private static readonly int[] Forwarded =
        [LibC.SIGHUP, LibC.SIGINT, LibC.SIGQUIT, LibC.SIGUSR1, LibC.SIGUSR2, LibC.SIGTERM, LibC.SIGCONT, LibC.SIGWINCH];

    private readonly int _signalFd;

    private Reaper(int signalFd) => _signalFd = signalFd;

    /// <summary>Blocks the handled signals (before fork, so no SIGCHLD is lost) and opens the signalfd.</summary>
    public static Reaper BlockSignals()
    {
        // glibc's sigset_t is 128 bytes; the kernel uses the first 8.
        var mask = stackalloc ulong[16];
        mask[0] = 1UL << (LibC.SIGCHLD - 1);
        foreach (var sig in Forwarded)
        {
            mask[0] |= 1UL << (sig - 1);
        }
        if (LibC.sigprocmask(LibC.SIG_BLOCK, mask, null) != 0)
        {
            throw LibC.Fail("sigprocmask");
        }
        var fd = LibC.signalfd(-1, mask, LibC.O_CLOEXEC);
        if (fd < 0)
        {
            throw LibC.Fail("signalfd");
        }
        return new Reaper(fd);
    }

    /// <returns>The wait status of <paramref name="command"/>.</returns>
    public int WaitFor(int command)
    {
        // struct signalfd_siginfo is 128 bytes; ssi_signo is its first field.
        var info = stackalloc byte[128];
        while (true)
        {
            var n = LibC.read(_signalFd, info, 128);
            if (n < 0)
            {
                if (LibC.Errno == LibC.EINTR)
                {
                    continue;
                }
                throw LibC.Fail("reading the signalfd");
            }
            var signal = *(int*)info;
            if (signal != LibC.SIGCHLD)
            {
                LibC.kill(command, signal);
                continue;
            }
            int status, pid;
            while ((pid = LibC.waitpid(-1, &status, LibC.WNOHANG)) > 0)
            {
                if (pid == command)
                {
                    return status;
                }
            }
        }
    }
}
