using System.Text;
using Builder.Engine.Tests.Support;

namespace Builder.Engine.Tests;

/// <summary>
/// The behaviour every executor must show, run once per executor (native, runc, crun) by the
/// derived classes. Each test runs on a fresh busybox rootfs and checks afterwards that the host's
/// mount table, process list, state directories and cgroups are exactly as before.
/// </summary>
[Collection(EngineCollection.Name)]
public abstract partial class ExecutorBehaviour : IAsyncLifetime
{
    private HostSnapshot? _before;

    protected BusyboxRootfs Rootfs { get; private set; } = null!;

    protected string StateRoot { get; private set; } = "";

    protected IExecutor Executor { get; private set; } = null!;

    /// <summary>Under an OCI runtime the command is PID 1; under the native executor it is PID 1's child.</summary>
    protected abstract bool CommandIsPid1 { get; }

    protected abstract IExecutor CreateExecutor(EngineOptions options);

    public ValueTask InitializeAsync()
    {
        Rootfs = BusyboxRootfs.Create();
        StateRoot = Path.Combine(Rootfs.Directory, "state");
        Executor = CreateExecutor(new EngineOptions { StateRoot = StateRoot });
        // What an engine's start-up sweep removes is not this test's doing: sweep first.
        Builder.Engine.Native.LeftoverSweeper.Sweep(StateRoot, Builder.Engine.Cgroups.CgroupHierarchy.Host);
        _before = HostSnapshot.Take(Rootfs.Directory, StateRoot);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (_before is not null)
            {
                HostSnapshot.Take(Rootfs.Directory, StateRoot).AssertSameAs(_before);
            }
        }
        finally
        {
            Rootfs?.Dispose();
        }
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected ContainerSpec Spec(params string[] args) => new() { RootFs = Rootfs.Path, Args = args, Hostname = "buildbox" };

    protected ContainerSpec Shell(string script) => Spec("sh", "-c", script);

    protected Task<RunResult> RunAsync(ContainerSpec spec, Stream? stdin = null) =>
        RunResult.RunAsync(Executor, spec, Timeout, stdin);

    protected Task<RunResult> RunUntilAsync(ContainerSpec spec, CancellationToken cancellationToken) =>
        RunResult.RunAsync(Executor, spec, cancellationToken);

    protected static CancellationToken Timeout => TestContext.Current.CancellationToken;

    // ---- isolation ----

    [Fact]
    public async Task Command_sees_only_the_processes_of_its_own_pid_namespace()
    {
        var result = await RunAsync(Shell("echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.Equal(CommandIsPid1 ? "1" : "2", lines[0]);
        var pids = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Contains(1, pids);
        // A fresh pid namespace numbers from 1 and holds only the shell, its pipeline and (runc) the
        // runtime's helpers; the host's pids, this test's own among them, are in the thousands.
        Assert.DoesNotContain(Environment.ProcessId, pids);
        Assert.All(pids, pid => Assert.True(pid < 64, $"pid {pid} from outside the container is visible: {result.Stdout}"));
    }

    [Fact]
    public async Task Hostname_and_etc_files_are_the_containers()
    {
        var result = await RunAsync(Shell("hostname; cat /etc/hostname; grep -c buildbox /etc/hosts; test -s /etc/resolv.conf -o -e /etc/resolv.conf && echo resolv"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("buildbox\nbuildbox\n1\nresolv\n", result.Stdout);
    }

    [Fact]
    public async Task Network_none_has_only_loopback_and_it_is_up()
    {
        var result = await RunAsync(Shell("ls /sys/class/net; ip -o link | wc -l; ip -o link show lo | grep -c UP; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pinged"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("lo\n1\n1\npinged\n", result.Stdout);
    }

    [Fact]
    public async Task Network_host_sees_the_hosts_interfaces()
    {
        var result = await RunAsync(Shell("ls /sys/class/net") with { Network = NetworkMode.Host });
        Assert.True(result.Exit.Succeeded, result.ToString());
        var expected = Directory.GetFileSystemEntries("/sys/class/net").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(expected, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Host_files_are_invisible()
    {
        var secret = Path.Combine(Rootfs.Directory, "host-secret");
        await File.WriteAllTextAsync(secret, "secret", Timeout);
        var result = await RunAsync(Shell($"test -e {secret} && echo visible; ls / | tr '\\n' ' '; ls /proc/1/root/ | grep -c engine-test"));
        Assert.DoesNotContain("visible", result.Stdout);
        // Only the rootfs's own entries and the engine's mount points are at /.
        Assert.Equal("bin dev etc proc sys tmp 0\n", result.Stdout);
    }

    [Fact]
    public async Task Only_stdio_is_inherited()
    {
        // ls opens the directory it lists as fd 3; any other fd came from the engine.
        var result = await RunAsync(Spec("ls", "/proc/self/fd"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal(["0", "1", "2", "3"], result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Root_gets_dockers_default_capabilities()
    {
        var result = await RunAsync(Shell("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        var caps = ParseStatus(result.Stdout);
        const string dockerDefault = "00000000a80425fb";
        Assert.Equal(dockerDefault, caps["CapBnd"]);
        Assert.Equal(dockerDefault, caps["CapPrm"]);
        Assert.Equal(dockerDefault, caps["CapEff"]);
        Assert.Equal("0000000000000000", caps["CapInh"]);
        Assert.Equal("0000000000000000", caps["CapAmb"]);
    }

    [Fact]
    public async Task Other_users_get_no_effective_capabilities()
    {
        var result = await RunAsync(Shell("grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status") with { User = "alice" });
        Assert.True(result.Exit.Succeeded, result.ToString());
        var caps = ParseStatus(result.Stdout);
        Assert.Equal("0000000000000000", caps["CapEff"]);
        Assert.Equal("0000000000000000", caps["CapPrm"]);
        Assert.Equal("00000000a80425fb", caps["CapBnd"]);
    }

    [Theory]
    [InlineData("", "0", "0", "", "/root")]
    [InlineData("alice", "1000", "1000", "50 100", "/home/alice")]
    [InlineData("bob", "1001", "1001", "100", "/home/bob")]
    [InlineData("alice:devs", "1000", "2000", "", "/home/alice")]
    [InlineData("alice:7", "1000", "7", "", "/home/alice")]
    [InlineData("1000", "1000", "1000", "50 100", "/home/alice")]
    [InlineData("4321", "4321", "0", "", "/")]
    [InlineData("4321:8765", "4321", "8765", "", "/")]
    [InlineData("nobody", "65534", "65534", "", "/nonexistent")]
    public async Task User_and_groups_switch_as_docker_does(string user, string uid, string gid, string groups, string home)
    {
        var result = await RunAsync(Shell("grep -E '^(Uid|Gid|Groups):' /proc/self/status; echo \"HOME:$HOME\"") with { User = user });
        Assert.True(result.Exit.Succeeded, result.ToString());
        var status = ParseStatus(result.Stdout, keepAll: true);
        Assert.Equal($"{uid} {uid} {uid} {uid}", status["Uid"]);
        Assert.Equal($"{gid} {gid} {gid} {gid}", status["Gid"]);
        Assert.Equal(groups, status["Groups"]);
        Assert.Equal(home, status["HOME"]);
    }

    [Fact]
    public async Task Home_is_kept_when_set()
    {
        var result = await RunAsync(Shell("echo $HOME") with { User = "alice", Env = ["HOME=/custom"] });
        Assert.Equal("/custom\n", result.Stdout);
    }

    [Theory]
    [InlineData("nosuchuser", "nosuchuser")]
    [InlineData("alice:nosuchgroup", "nosuchgroup")]
    public async Task Unknown_user_or_group_is_a_clear_error(string user, string named)
    {
        var result = await RunAsync(Spec("true") with { User = user });
        Assert.NotNull(result.Exit.Failure);
        Assert.Equal(StartFailureKind.UnknownUser, result.Exit.Failure.Kind);
        Assert.Contains(named, result.Exit.Failure.Message);
        Assert.NotEqual(0, result.Exit.ExitCode);
    }

    [Fact]
    public async Task Masked_proc_paths_are_unreadable_and_kernel_settings_read_only()
    {
        var result = await RunAsync(Shell("""
            for f in kcore keys timer_list sched_debug; do echo "$f $(stat -c %t:%T /proc/$f 2>/dev/null || echo absent) $(head -c 16 /proc/$f 2>/dev/null | wc -c)"; done
            echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo sys-writable
            echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable
            mkdir /sys/kernel/engine-test 2>/dev/null && echo sysfs-writable
            grep -E ' /sys | /proc/sys ' /proc/self/mountinfo | grep -c ' ro,'
            """));
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines.Take(4))
        {
            var fields = line.Split(' ');
            Assert.True(fields[1] is "1:3" or "absent", $"{fields[0]} is not masked: {line}");
            Assert.Equal("0", fields[2]);
        }
        Assert.DoesNotContain("writable", result.Stdout);
        Assert.Equal("2", lines[4]);
    }

    [Fact]
    public async Task Dev_has_only_the_minimal_nodes_and_a_private_devpts()
    {
        var result = await RunAsync(Shell("ls /dev | tr '\\n' ' '; echo; ls /dev/pts | tr '\\n' ' '; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        var lines = result.Stdout.Split('\n');
        var dev = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var node in new[] { "null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "mqueue" })
        {
            Assert.Contains(node, dev);
        }
        Assert.DoesNotContain("sda", dev);
        Assert.DoesNotContain("mem", dev);
        Assert.Equal("ptmx", lines[1].Trim());
        Assert.Equal("4", lines[2]);
    }

    [Fact]
    public async Task Mount_points_created_in_the_rootfs_are_removed_afterwards()
    {
        var before = Directory.GetFileSystemEntries(Rootfs.Path, "*", SearchOption.AllDirectories).Order().ToArray();
        var result = await RunAsync(Shell("ls /scratch/sub >/dev/null && test -f /etc/hosts && echo ok") with { Mounts = [new TmpfsMount("/scratch/sub")] });
        Assert.Equal("ok\n", result.Stdout);
        Assert.Equal(before, Directory.GetFileSystemEntries(Rootfs.Path, "*", SearchOption.AllDirectories).Order().ToArray());
    }

    // ---- working directory ----

    [Fact]
    public async Task Missing_working_directory_is_created()
    {
        var result = await RunAsync(Spec("pwd") with { WorkingDir = "/work/a/b" });
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("/work/a/b\n", result.Stdout);
        Assert.True(Directory.Exists(Path.Combine(Rootfs.Path, "work/a/b")));
    }

    [Fact]
    public async Task Working_directory_through_a_symlink_inside_the_rootfs_works()
    {
        Directory.CreateDirectory(Path.Combine(Rootfs.Path, "real"));
        File.CreateSymbolicLink(Path.Combine(Rootfs.Path, "link"), "/real");
        var result = await RunAsync(Spec("pwd") with { WorkingDir = "/link" });
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("/real\n", result.Stdout);
    }

    [Theory]
    [InlineData("/escape/sub")]
    [InlineData("/escape")]
    public async Task Working_directory_escaping_through_a_symlink_fails_clearly(string workingDir)
    {
        // rootfs/escape -> ../../.. climbs out of the rootfs.
        File.CreateSymbolicLink(Path.Combine(Rootfs.Path, "escape"), "../../..");
        var result = await RunAsync(Spec("pwd") with { WorkingDir = workingDir });
        AssertInvalidWorkingDirectory(result, workingDir);
        Assert.False(Directory.Exists(Path.Combine(Rootfs.Directory, "..", "sub")));
    }

    [Theory]
    [InlineData("/proc/self/fd/3")]
    [InlineData("/proc/self/cwd")]
    [InlineData("/fdlink")]
    [InlineData("/sys/kernel")]
    public async Task Working_directory_in_proc_fd_or_kernel_filesystems_fails_clearly(string workingDir)
    {
        File.CreateSymbolicLink(Path.Combine(Rootfs.Path, "fdlink"), "/proc/self/fd/5");
        var result = await RunAsync(Spec("pwd") with { WorkingDir = workingDir });
        AssertInvalidWorkingDirectory(result, workingDir);
    }

    protected virtual void AssertInvalidWorkingDirectory(RunResult result, string workingDir)
    {
        Assert.NotNull(result.Exit.Failure);
        Assert.Equal(StartFailureKind.InvalidWorkingDirectory, result.Exit.Failure.Kind);
        Assert.Contains(workingDir, result.Exit.Failure.Message);
        Assert.Equal("", result.Stdout);
    }

    // ---- exit status and failures ----

    [Fact]
    public async Task Exit_code_env_and_args_pass_through()
    {
        var result = await RunAsync(Spec("sh", "-c", "echo \"$GREETING $0 $1\"; exit 42", "zero", "one") with { Env = ["GREETING=hello"] });
        Assert.Equal(42, result.Exit.ExitCode);
        Assert.Null(result.Exit.Signal);
        Assert.Null(result.Exit.Failure);
        Assert.Equal("hello zero one\n", result.Stdout);
    }

    [Fact]
    public async Task Missing_command_is_exit_127_with_a_clear_error()
    {
        var result = await RunAsync(Spec("no-such-command", "arg"));
        Assert.Equal(127, result.Exit.ExitCode);
        Assert.NotNull(result.Exit.Failure);
        Assert.Equal(StartFailureKind.CommandNotFound, result.Exit.Failure.Kind);
        Assert.Contains("no-such-command", result.Exit.Failure.Message);
    }

    [Fact]
    public async Task Missing_absolute_command_is_exit_127()
    {
        var result = await RunAsync(Spec("/usr/bin/nothing"));
        Assert.Equal(127, result.Exit.ExitCode);
        Assert.Equal(StartFailureKind.CommandNotFound, result.Exit.Failure?.Kind);
        Assert.Contains("/usr/bin/nothing", result.Exit.Failure!.Message);
    }

    [Fact]
    public async Task Non_executable_command_is_exit_126()
    {
        await File.WriteAllTextAsync(Path.Combine(Rootfs.Path, "script"), "#!/bin/sh\necho hi\n", Timeout);
        var result = await RunAsync(Spec("/script"));
        Assert.Equal(126, result.Exit.ExitCode);
        Assert.Equal(StartFailureKind.CommandNotExecutable, result.Exit.Failure?.Kind);
    }

    [Fact]
    public async Task Command_killed_by_a_signal_reports_the_signal()
    {
        // A child of the command kills itself; under an OCI runtime the command is PID 1, which
        // ignores signals from inside its namespace, so the signal is sent to a child shell there.
        var script = CommandIsPid1 ? "sh -c 'kill -USR1 $$'; exit $?" : "kill -USR1 $$";
        var result = await RunAsync(Shell(script));
        if (CommandIsPid1)
        {
            Assert.Equal(128 + 10, result.Exit.ExitCode);
        }
        else
        {
            Assert.Equal(10, result.Exit.Signal);
            Assert.Equal(138, result.Exit.ExitCode);
        }
        Assert.False(result.Exit.OomKilled);
    }

    // ---- stdio ----

    [Fact]
    public async Task Stdout_and_stderr_arrive_separately_and_whole()
    {
        var result = await RunAsync(Shell("head -c 3000000 /dev/zero | tr '\\0' o; echo err1 >&2; head -c 500000 /dev/zero | tr '\\0' e >&2"));
        Assert.True(result.Exit.Succeeded, result.Exit.ToString());
        Assert.Equal(3_000_000, result.Stdout.Length);
        Assert.All(result.Stdout, c => Assert.Equal('o', c));
        Assert.StartsWith("err1\n", result.Stderr);
        Assert.Equal(5 + 500_000, result.Stderr.Length);
    }

    [Fact]
    public async Task Stdin_is_passed_and_closed()
    {
        var input = new MemoryStream(Encoding.UTF8.GetBytes("line one\nline two\n"));
        var result = await RunAsync(Spec("wc", "-l"), stdin: input);
        Assert.Equal("2", result.Stdout.Trim());
    }

    [Fact]
    public async Task Without_stdin_the_command_reads_eof()
    {
        var result = await RunAsync(Spec("cat"));
        Assert.True(result.Exit.Succeeded);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Terminal_has_the_given_window_size()
    {
        var output = new MemoryStream();
        var io = new ContainerIo { Stdout = output, Terminal = new TerminalSize(100, 31) };
        var exit = await Executor.RunAsync(Shell("test -t 0 && test -t 1 && echo tty; stty size"), io, Timeout);
        Assert.True(exit.Succeeded, exit.ToString());
        var text = Encoding.UTF8.GetString(output.ToArray()).Replace("\r", "");
        Assert.Equal("tty\n31 100\n", text);
    }

    [Fact]
    public async Task Terminal_input_reaches_the_command_and_output_survives_the_end_of_input()
    {
        var output = new MemoryStream();
        var io = new ContainerIo { Stdin = new MemoryStream(Encoding.UTF8.GetBytes("hello\n")), Stdout = output, Terminal = new TerminalSize(80, 24) };
        var exit = await Executor.RunAsync(Shell("read line; sleep 0.3; echo \"got $line\""), io, Timeout);
        Assert.True(exit.Succeeded, exit.ToString());
        Assert.Contains("got hello", Encoding.UTF8.GetString(output.ToArray()));
    }

    // ---- mounts and rootfs ----

    [Fact]
    public async Task Read_only_rootfs_rejects_writes_but_tmpfs_mounts_accept_them()
    {
        var spec = Shell("touch /newfile 2>/dev/null && echo root-writable; touch /scratch/f && echo scratch-ok; head -c 2000000 /dev/zero > /scratch/big 2>/dev/null || echo scratch-full")
            with { ReadOnlyRootFs = true, Mounts = [new TmpfsMount("/scratch", 1 << 20)] };
        var result = await RunAsync(spec);
        Assert.Equal("scratch-ok\nscratch-full\n", result.Stdout);
        Assert.False(File.Exists(Path.Combine(Rootfs.Path, "newfile")));
    }

    [Fact]
    public async Task Bind_mounts_are_read_write_or_read_only_as_asked()
    {
        var rw = Directory.CreateDirectory(Path.Combine(Rootfs.Directory, "rw")).FullName;
        var ro = Directory.CreateDirectory(Path.Combine(Rootfs.Directory, "ro")).FullName;
        await File.WriteAllTextAsync(Path.Combine(ro, "input"), "from host", Timeout);
        var spec = Shell("echo written > /mnt/rw/out; cat /mnt/ro/input; echo; echo x > /mnt/ro/out 2>/dev/null && echo ro-writable")
            with { Mounts = [new BindMount(rw, "/mnt/rw"), new BindMount(ro, "/mnt/ro", ReadOnly: true)] };
        var result = await RunAsync(spec);
        Assert.Equal("from host\n", result.Stdout);
        Assert.Equal("written\n", await File.ReadAllTextAsync(Path.Combine(rw, "out"), Timeout));
        Assert.False(File.Exists(Path.Combine(ro, "out")));
    }

    // ---- limits and ending ----

    [Fact]
    public async Task Memory_limit_ends_in_an_oom_kill_reported_as_such()
    {
        var spec = Shell("x=$(head -c 300000000 /dev/zero | tr '\\0' a); echo survived") with { Limits = new ResourceLimits(MemoryBytes: 32 << 20) };
        var result = await RunAsync(spec);
        Assert.True(result.Exit.OomKilled, result.ToString());
        Assert.DoesNotContain("survived", result.Stdout);
        Assert.NotEqual(0, result.Exit.ExitCode);
    }

    [Fact]
    public async Task Pids_limit_contains_a_fork_bomb()
    {
        var spec = Shell("(for i in $(seq 60); do sleep 30 & done); set -- /proc/[0-9]*; echo $#") with { Limits = new ResourceLimits(Pids: 20) };
        var result = await RunAsync(spec);
        Assert.Contains("fork", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.True(result.Stdout.Trim().Length > 0, result.ToString());
        var count = int.Parse(result.Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        // Only builtins run after the loop: every process counted is the shell or one of its sleeps.
        Assert.InRange(count, 2, 20);
    }

    [Fact]
    public async Task Cancellation_of_a_recursive_fork_bomb_kills_everything()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        cts.CancelAfter(TimeSpan.FromSeconds(1.5));
        // The bomb runs in a background subshell; the command itself execs sleep, so it never
        // needs a fork once the pids limit is exhausted and stays up until cancelled.
        var spec = Shell("(bomb() { bomb | bomb & }; bomb) & exec sleep 100") with { Limits = new ResourceLimits(Pids: 64) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunUntilAsync(spec, cts.Token));
    }

    [Fact]
    public async Task Cancellation_kills_the_container_promptly()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        cts.CancelAfter(TimeSpan.FromMilliseconds(500));
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunUntilAsync(Shell("sleep 1000 & sleep 1000; echo done"), cts.Token));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"cancellation took {started.Elapsed}");
    }

    [Fact]
    public async Task Background_processes_die_when_the_command_exits()
    {
        var result = await RunAsync(Shell("sleep 1000 & echo started"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("started\n", result.Stdout);
        // DisposeAsync asserts that no process is left.
    }

    private static Dictionary<string, string> ParseStatus(string text, bool keepAll = false) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0], p => string.Join(' ', p[1].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries)));
}
