using System.Runtime.InteropServices;
using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// The slirp4netns process that connects one container's network namespace to the outside
/// (network mode "default"). <see cref="Start"/> unshares the namespace and starts the NAT for it
/// at once: a forked child creates the tap device (persistent, see
/// <see cref="CreatePersistentTap"/>), moves back into the host's network namespace (where the
/// NAT's own sockets must live) and execs slirp4netns, which attaches to the device and
/// configures it while the container's mount tree is built. The NAT is outside the container's pid namespace
/// and cgroup, dies with its starter (PR_SET_PDEATHSIG and EOF on its exit fd), and is killed and
/// reaped by <see cref="Stop"/> after the container's PID 1, so it never outlives a run.
/// </summary>
internal sealed unsafe class UserModeNat
{
    private const int LogLimit = 4096;

    private readonly int _pid;
    private int _readyRead, _log, _exitWrite;

    private UserModeNat(int pid, int readyRead, int log, int exitWrite)
    {
        _pid = pid;
        _readyRead = readyRead;
        _log = log;
        _exitWrite = exitWrite;
    }

    /// <summary>Moves the calling process into a new network namespace and starts slirp4netns for it.</summary>
    public static UserModeNat Start(NatConfig config)
    {
        var hostNet = LibC.open("/proc/self/ns/net", LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (hostNet < 0)
        {
            throw LibC.Fail("open /proc/self/ns/net");
        }
        try
        {
            if (LibC.unshare(LibC.CLONE_NEWNET) != 0)
            {
                throw LibC.Fail("unshare network namespace");
            }
            return Spawn(config, hostNet);
        }
        finally
        {
            LibC.close(hostNet);
        }
    }

    private static UserModeNat Spawn(NatConfig config, int hostNet)
    {
        var ready = stackalloc int[2];
        var exit = stackalloc int[2];
        if (LibC.pipe2(ready, LibC.O_CLOEXEC) != 0 || LibC.pipe2(exit, LibC.O_CLOEXEC) != 0)
        {
            throw LibC.Fail("pipe2");
        }
        var log = LibC.memfd_create("slirp4netns-log", LibC.MFD_CLOEXEC);
        var devNull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (log < 0 || devNull < 0)
        {
            throw LibC.Fail("memfd_create or open /dev/null");
        }
        var self = LibC.getpid();
        // Everything the child needs is laid out before fork: it must not allocate.
        var argv = CStrings(Slirp4netns.Arguments(config.Path, self, config.AllowHostLoopback));
        var envp = CStrings(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
        var setnsFailed = CString("joining the host's network namespace failed\n");
        var execFailed = CString($"exec {config.Path} failed\n");
        Span<int> childFds = [devNull, log, log, ready[1], exit[0]];

        var pid = LibC.fork();
        if (pid < 0)
        {
            throw LibC.Fail("fork");
        }
        if (pid == 0)
        {
            ExecInChild(self, hostNet, childFds, argv, envp, log, setnsFailed, execFailed); // never returns
        }
        LibC.close(ready[1]);
        LibC.close(exit[0]);
        LibC.close(devNull);
        return new UserModeNat(pid, ready[0], log, exit[1]);
    }

    private static void ExecInChild(int parent, int hostNet, Span<int> fds, byte** argv, byte** envp, int log, byte* setnsFailed, byte* execFailed)
    {
        LibC.prctl(LibC.PR_SET_PDEATHSIG, LibC.SIGKILL, 0, 0, 0);
        if (LibC.getppid() != parent)
        {
            LibC._exit(1);
        }
        CreatePersistentTap();
        if (LibC.setns(hostNet, LibC.CLONE_NEWNET) != 0)
        {
            WriteAndExit(log, setnsFailed);
        }
        // fds[i] becomes fd i, by way of fds above them so that none overwrites another.
        for (var i = 0; i < fds.Length; i++)
        {
            fds[i] = LibC.fcntl(fds[i], LibC.F_DUPFD, fds.Length);
        }
        for (var i = 0; i < fds.Length; i++)
        {
            LibC.dup2(fds[i], i);
        }
        LibC.close_range((uint)fds.Length, uint.MaxValue, 0);
        var empty = stackalloc ulong[16];
        LibC.sigprocmask(LibC.SIG_SETMASK, empty, null);
        LibC.execve(argv[0], argv, envp);
        WriteAndExit(1, execFailed);
    }

    /// <summary>
    /// Creates the tap device in the container's namespace, persistent, before slirp4netns opens
    /// it by name. Were slirp4netns to create it, its exit would unregister the device
    /// synchronously (rtnl, RCU barriers: ~15 ms here) and the supervisor would wait for that; a
    /// persistent device survives the NAT's exit and goes with the namespace, which the kernel
    /// tears down asynchronously once the container's last process is gone. On any error the
    /// NAT simply creates the device itself. Runs in the forked child: no allocation.
    /// </summary>
    private static void CreatePersistentTap()
    {
        const ulong TUNSETIFF = 0x400454ca, TUNSETPERSIST = 0x400454cb;
        const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000; // the flags slirp4netns opens the device with
        var tun = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (tun < 0)
        {
            return;
        }
        var ifreq = stackalloc byte[40]; // struct ifreq: char ifr_name[16]; short ifr_flags; ...
        for (var i = 0; i < Slirp4netns.Interface.Length; i++)
        {
            ifreq[i] = (byte)Slirp4netns.Interface[i];
        }
        *(short*)(ifreq + 16) = IFF_TAP | IFF_NO_PI;
        if (LibC.ioctl(tun, TUNSETIFF, (nint)ifreq) == 0)
        {
            LibC.ioctl(tun, TUNSETPERSIST, 1);
        }
        LibC.close(tun);
    }

    /// <summary>
    /// In a forked copy of the starter (the container's PID 1): closes the copy of the NAT's exit
    /// fd, so that only the starter holds it and its death alone ends the NAT.
    /// </summary>
    public void CloseExitFdCopy()
    {
        LibC.close(_exitWrite);
        _exitWrite = -1;
    }

    /// <summary>
    /// Before the command starts (in the container's PID 1, or the runtime supervisor): waits until slirp4netns reports the
    /// interface configured, or throws with what it logged.
    /// </summary>
    public void WaitUntilReady()
    {
        var poll = stackalloc LibC.PollFd[1];
        poll[0] = new LibC.PollFd { Fd = _readyRead, Events = LibC.POLLIN };
        int ready;
        while ((ready = LibC.poll(poll, 1, Slirp4netns.ReadyTimeoutMs)) < 0 && LibC.Errno == LibC.EINTR)
        {
        }
        if (ready == 0)
        {
            throw new InvalidOperationException($"{Slirp4netns.Package} (network mode default) did not set up the network within {Slirp4netns.ReadyTimeoutMs / 1000} s{LogSuffix()}");
        }
        byte signal;
        nint n;
        while ((n = LibC.read(_readyRead, &signal, 1)) < 0 && LibC.Errno == LibC.EINTR)
        {
        }
        if (n != 1)
        {
            throw new InvalidOperationException($"{Slirp4netns.Package} (network mode default) exited before the network was up{LogSuffix()}");
        }
        LibC.close(_readyRead);
        LibC.close(_log);
        _readyRead = _log = -1;
    }

    /// <summary>In the supervisor, once the container is gone (or never started): ends and reaps slirp4netns.</summary>
    public void Stop()
    {
        LibC.kill(_pid, LibC.SIGKILL);
        foreach (var fd in new[] { _exitWrite, _readyRead, _log })
        {
            if (fd >= 0)
            {
                LibC.close(fd);
            }
        }
        _exitWrite = _readyRead = _log = -1;
        int status;
        while (LibC.waitpid(_pid, &status, 0) < 0 && LibC.Errno == LibC.EINTR)
        {
        }
    }

    /// <summary>The last lines slirp4netns wrote, minus its chatter about passing the tap fd.</summary>
    private string LogSuffix()
    {
        var buffer = stackalloc byte[LogLimit];
        var size = LibC.pread(_log, buffer, LogLimit, 0);
        if (size <= 0)
        {
            return "";
        }
        var lines = Encoding.UTF8.GetString(buffer, (int)size)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("sent tapfd", StringComparison.Ordinal) && !l.StartsWith("received tapfd", StringComparison.Ordinal)
                && !l.StartsWith("WARNING: Support for seccomp", StringComparison.Ordinal))
            .TakeLast(3)
            .ToArray();
        return lines.Length == 0 ? "" : ": " + string.Join("; ", lines);
    }

    private static void WriteAndExit(int fd, byte* text)
    {
        var length = 0;
        while (text[length] != 0)
        {
            length++;
        }
        LibC.write(fd, text, length);
        LibC._exit(126);
    }

    private static byte* CString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        return p;
    }

    private static byte** CStrings(string[] strings)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)strings.Length + 1, (nuint)sizeof(nint));
        for (var i = 0; i < strings.Length; i++)
        {
            array[i] = CString(strings[i]);
        }
        array[strings.Length] = null;
        return array;
    }
}
