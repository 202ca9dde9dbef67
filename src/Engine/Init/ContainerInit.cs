using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// PID 1 of the container: builds the root filesystem, pivots into it, sets hostname, network
/// and credentials, then runs the command as its child while reaping zombies and forwarding
/// signals. When the command ends, PID 1 reports its status and exits, which kills whatever the
/// command left running in the pid namespace.
/// </summary>
internal static class ContainerInit
{
    public static void Run(InitConfig config, UserModeNat? nat)
    {
        LibC.prctl(LibC.PR_SET_PDEATHSIG, LibC.SIGKILL, 0, 0, 0);
        // Nothing in the container may open /proc/1/exe or /proc/1/fd of this privileged process.
        LibC.prctl(LibC.PR_SET_DUMPABLE, 0, 0, 0, 0);
        LibC.close(StatusProtocol.LifelineFd);
        nat?.CloseExitFdCopy();

        PreparedCommand command;
        Reaper reaper;
        try
        {
            var workingDir = RootfsSetup.Prepare(config);
            PivotRoot.Into(config.RootFs);
            SetHostname(config.Hostname);
            if (!config.HostNetwork)
            {
                Loopback.BringUp();
            }
            var user = UserResolver.Resolve(config.User, ContainerFiles.ReadSmallFile("/etc/passwd"), ContainerFiles.ReadSmallFile("/etc/group"));
            command = PreparedCommand.Create(config.Args, EnvironmentDefaults.Apply(config.Env, user), user, workingDir, config.Tty, config.Privileged);
            reaper = Reaper.BlockSignals();
            // Last, so the NAT's start overlapped everything above.
            nat?.WaitUntilReady();
        }
        catch (UnknownUserException e)
        {
            Exit(StartFailureKind.UnknownUser, e.Message);
            return;
        }
        catch (PathEscapeException e)
        {
            Exit(StartFailureKind.InvalidWorkingDirectory, e.Message);
            return;
        }
        catch (Exception e)
        {
            Exit(StartFailureKind.SetupFailed, e.Message);
            return;
        }

        var pid = LibC.fork();
        if (pid < 0)
        {
            Exit(StartFailureKind.SetupFailed, "fork: " + LibC.ErrorText(LibC.Errno));
        }
        if (pid == 0)
        {
            command.ExecInChild(); // never returns
        }
        var status = reaper.WaitFor(pid);
        Status.WaitStatus(status);
        LibC._exit(0);
    }

    private static void Exit(StartFailureKind kind, string message)
    {
        Status.Fail(kind, message);
        LibC._exit(125);
    }

    private static unsafe void SetHostname(string hostname)
    {
        var bytes = Encoding.UTF8.GetBytes(hostname);
        fixed (byte* p = bytes)
        {
            if (LibC.sethostname(p, bytes.Length) != 0)
            {
                throw LibC.Fail($"sethostname {hostname}");
            }
        }
    }
}
