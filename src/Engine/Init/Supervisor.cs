using System.Globalization;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// The helper's first process, in the host's namespaces: joins the container's cgroups, creates
/// the namespaces, forks the container's init (PID 1 of the new pid namespace), and waits for it.
/// In network mode "default" it also starts and, at the end, stops the user-mode NAT.
/// When the engine closes the lifeline (cancellation) or dies, it kills PID 1, and the kernel
/// then kills every other process of the pid namespace.
/// </summary>
internal static unsafe class Supervisor
{
    public static int Run(InitConfig config)
    {
        // The NAT is started first, before the cgroup is joined: it must not count against the
        // container's limits or be killed with it. It sets up the interface while PID 1 builds
        // the mount tree; PID 1 waits for it before starting the command.
        UserModeNat? nat = null;
        if (config.Nat is not null)
        {
            try
            {
                nat = UserModeNat.Start(config.Nat);
            }
            catch (Exception e)
            {
                Status.Fail(StartFailureKind.SetupFailed, $"starting {Slirp4netns.Package} for network mode default: {e.Message}");
                return 0;
            }
        }
        try
        {
            return RunContainer(config, nat);
        }
        finally
        {
            nat?.Stop();
        }
    }

    private static int RunContainer(InitConfig config, UserModeNat? nat)
    {
        try
        {
            foreach (var procs in config.CgroupProcs)
            {
                File.WriteAllText(procs, LibC.getpid().ToString(CultureInfo.InvariantCulture));
            }
        }
        catch (Exception e)
        {
            Status.Fail(StartFailureKind.SetupFailed, "joining the container's cgroup: " + e.Message);
            return 0;
        }

        var flags = LibC.CLONE_NEWNS | LibC.CLONE_NEWUTS | LibC.CLONE_NEWIPC | LibC.CLONE_NEWPID;
        if (!config.HostNetwork && nat is null)
        {
            flags |= LibC.CLONE_NEWNET;
        }
        if (config.CgroupNamespace)
        {
            flags |= LibC.CLONE_NEWCGROUP;
        }
        if (LibC.unshare(flags) != 0)
        {
            Status.Fail(StartFailureKind.SetupFailed, "unshare: " + LibC.ErrorText(LibC.Errno));
            return 0;
        }

        // Why fork from NativeAOT is fine here: this process has only the main thread and the idle
        // finalizer thread (no concurrent GC), so the child starts with a consistent runtime state.
        var pid = LibC.fork();
        if (pid < 0)
        {
            Status.Fail(StartFailureKind.SetupFailed, "fork: " + LibC.ErrorText(LibC.Errno));
            return 0;
        }
        if (pid == 0)
        {
            ContainerInit.Run(config, nat); // never returns
        }

        var pidFd = LibC.pidfd_open(pid);
        // Drop our copies of the container's stdio: the engine sees EOF once the container is gone.
        var devNull = LibC.open("/dev/null", LibC.O_RDWR, 0);
        for (var fd = 0; fd < 3; fd++)
        {
            LibC.dup2(devNull, fd);
        }
        LibC.close(devNull);

        var fds = stackalloc LibC.PollFd[2];
        fds[0] = new LibC.PollFd { Fd = pidFd, Events = LibC.POLLIN };
        fds[1] = new LibC.PollFd { Fd = StatusProtocol.LifelineFd, Events = LibC.POLLIN };
        while (pidFd >= 0)
        {
            if (LibC.poll(fds, 2, -1) < 0)
            {
                if (LibC.Errno == LibC.EINTR)
                {
                    continue;
                }
                break;
            }
            if (fds[1].Revents != 0)
            {
                // The engine cancelled the run or died: end the container now.
                LibC.kill(pid, LibC.SIGKILL);
                fds[1].Fd = -1;
            }
            if (fds[0].Revents != 0)
            {
                break;
            }
        }

        int status;
        while (LibC.waitpid(pid, &status, 0) < 0)
        {
            if (LibC.Errno != LibC.EINTR)
            {
                Status.Fail(StartFailureKind.SetupFailed, "waitpid: " + LibC.ErrorText(LibC.Errno));
                return 0;
            }
        }
        // PID 1 reports the command's status itself; a PID 1 killed by a signal (cancellation,
        // OOM) could not, so report that.
        if (LibC.WIFSIGNALED(status))
        {
            Status.Signal(LibC.WTERMSIG(status));
        }
        return 0;
    }
}
