using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// builder-init --runtime-supervisor CGROUP-DIRS [--nat SLIRP4NETNS [--nat-allow-host-loopback]]
/// RUNTIME ARGS... (fd 3 = status pipe, fd 4 = lifeline): runs an OCI runtime for the
/// engine and ends its container when the engine closes the lifeline (cancellation) or dies. An
/// OCI runtime's container outlives a killed runtime, so the processes are killed through the
/// engine-owned cgroup that contains the container (and with its init, the pid namespace).
/// </summary>
internal static unsafe class RuntimeSupervisor
{
    public const string Flag = "--runtime-supervisor";

    public const string NatFlag = "--nat", NatAllowHostLoopbackFlag = "--nat-allow-host-loopback";

    public static int Run(string[] args, string[] environment)
    {
        var cgroupDirectories = args[1].Split(':', StringSplitOptions.RemoveEmptyEntries);
        var next = 2;
        NatConfig? natConfig = null;
        if (args.Length > next + 1 && args[next] == NatFlag)
        {
            natConfig = new NatConfig { Path = args[next + 1] };
            next += 2;
            if (args.Length > next && args[next] == NatAllowHostLoopbackFlag)
            {
                natConfig.AllowHostLoopback = true;
                next++;
            }
        }
        var runtimeArgs = args[next..];
        var argv = StringArray(runtimeArgs);
        var envp = StringArray(environment);
        var path = argv[0];

        // Network mode "default": this process moves into a new network namespace with the NAT
        // attached, and the runtime (told to create no network namespace) puts the container in it.
        UserModeNat? nat = null;
        if (natConfig is not null)
        {
            try
            {
                nat = UserModeNat.Start(natConfig);
            }
            catch (Exception e)
            {
                Status.Fail(StartFailureKind.SetupFailed, $"starting {Slirp4netns.Package} for network mode default: {e.Message}");
                return 125;
            }
            try
            {
                Loopback.BringUp();
                nat.WaitUntilReady();
            }
            catch (Exception e)
            {
                nat.Stop();
                Status.Fail(StartFailureKind.SetupFailed, e.Message);
                return 125;
            }
        }
        try
        {
            return Supervise(cgroupDirectories, path, argv, envp);
        }
        finally
        {
            nat?.Stop();
        }
    }

    private static int Supervise(string[] cgroupDirectories, byte* path, byte** argv, byte** envp)
    {
        var pid = LibC.fork();
        if (pid < 0)
        {
            return 125;
        }
        if (pid == 0)
        {
            LibC.close(StatusProtocol.LifelineFd);
            LibC.close(StatusProtocol.StatusFd); // the engine reads it to the end: only this process writes it
            LibC.execve(path, argv, envp);
            LibC._exit(127);
        }

        var pidFd = LibC.pidfd_open(pid);
        var fds = stackalloc LibC.PollFd[2];
        fds[0] = new LibC.PollFd { Fd = pidFd, Events = LibC.POLLIN };
        fds[1] = new LibC.PollFd { Fd = StatusProtocol.LifelineFd, Events = LibC.POLLIN };
        var killing = false;
        while (true)
        {
            var ready = LibC.poll(fds, 2, killing ? 50 : -1);
            if (ready < 0 && LibC.Errno != LibC.EINTR)
            {
                break;
            }
            if (fds[1].Revents != 0)
            {
                killing = true;
                fds[1].Fd = -1;
            }
            if (killing)
            {
                // Repeated until the runtime has seen its container end.
                KillAll(cgroupDirectories);
            }
            if (fds[0].Revents != 0)
            {
                break;
            }
        }
        int status;
        while (LibC.waitpid(pid, &status, 0) < 0 && LibC.Errno == LibC.EINTR)
        {
        }
        return LibC.WIFEXITED(status) ? LibC.WEXITSTATUS(status) : 128 + LibC.WTERMSIG(status);
    }

    private static void KillAll(string[] cgroupDirectories)
    {
        foreach (var root in cgroupDirectories)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }
            foreach (var dir in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories).Prepend(root))
            {
                try
                {
                    foreach (var line in File.ReadAllLines(Path.Combine(dir, "cgroup.procs")))
                    {
                        if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var victim))
                        {
                            LibC.kill(victim, LibC.SIGKILL);
                        }
                    }
                }
                catch (IOException)
                {
                    // The cgroup went away meanwhile.
                }
            }
        }
    }

    private static byte** StringArray(string[] strings)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)strings.Length + 1, (nuint)sizeof(nint));
        for (var i = 0; i < strings.Length; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(strings[i]);
            var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(p, bytes.Length));
            p[bytes.Length] = 0;
            array[i] = p;
        }
        array[strings.Length] = null;
        return array;
    }
}
