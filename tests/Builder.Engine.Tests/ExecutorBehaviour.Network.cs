using Builder.Engine.Tests.Support;

namespace Builder.Engine.Tests;

/// <summary>Network modes: "default" (a user-mode NAT through slirp4netns) and "none".</summary>
public abstract partial class ExecutorBehaviour
{
    private const string NatGateway = "10.0.2.2";

    protected ContainerSpec WithDefaultNetwork(ContainerSpec spec) => spec with { Network = NetworkMode.Default };

    [Fact]
    public async Task Network_default_has_loopback_and_eth0_behind_the_nat()
    {
        var result = await RunAsync(WithDefaultNetwork(Shell("""
            ls /sys/class/net | tr '\n' ' '; echo
            ip -o -4 addr show eth0 | awk '{print $4}'
            ip route | awk '/^default/ {print $3, $5}'
            ip -o link show lo | grep -c UP
            cat /etc/resolv.conf | grep nameserver
            ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pinged
            """)));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("eth0 lo \n10.0.2.100/24\n10.0.2.2 eth0\n1\nnameserver 10.0.2.3\npinged\n", result.Stdout);
    }

    [Fact]
    public async Task Network_default_connects_out_through_the_nat()
    {
        // Outbound without depending on the internet: a server on the host's own address, which
        // the NAT reaches from the host's network namespace like any other destination.
        await using var server = HostTcpServer.StartOnHostAddress();
        var result = await RunAsync(WithDefaultNetwork(Shell($"nc -w 5 {server.Address} {server.Port} </dev/null")));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal(HostTcpServer.Reply + "\n", result.Stdout);
        Assert.Equal(1, server.Connections);

        var none = await RunAsync(Shell($"nc -w 5 {server.Address} {server.Port} </dev/null"));
        Assert.NotEqual(0, none.Exit.ExitCode);
        Assert.Contains("Network is unreachable", none.Stderr);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Network_default_reaches_a_server_on_the_hosts_loopback_when_allowed()
    {
        await using var server = HostTcpServer.StartOnLoopback();
        var result = await RunAsync(WithDefaultNetwork(Shell($"nc -w 5 {NatGateway} {server.Port} </dev/null")) with { AllowHostLoopback = true });
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal(HostTcpServer.Reply + "\n", result.Stdout);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Network_default_does_not_reach_the_hosts_loopback_by_default()
    {
        await using var server = HostTcpServer.StartOnLoopback();
        var result = await RunAsync(WithDefaultNetwork(Shell($"nc -w 5 {NatGateway} {server.Port} </dev/null; echo \"exit $?\"")));
        Assert.Equal("exit 1\n", result.Stdout);
        Assert.Contains("can't connect", result.Stderr);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Network_none_has_no_route_to_the_nat_or_the_host()
    {
        await using var server = HostTcpServer.StartOnLoopback();
        var result = await RunAsync(Shell($"ls /sys/class/net; nc -w 5 {NatGateway} {server.Port} </dev/null; echo \"exit $?\""));
        Assert.Equal("lo\nexit 1\n", result.Stdout);
        Assert.Contains("Network is unreachable", result.Stderr);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Network_default_leaves_no_nat_process_or_namespace_behind()
    {
        var result = await RunAsync(WithDefaultNetwork(Shell("readlink /proc/self/ns/net")));
        Assert.True(result.Exit.Succeeded, result.ToString());
        var ns = result.Stdout.Trim();
        Assert.StartsWith("net:[", ns);
        Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, ns);
        Assert.DoesNotContain(HostProcesses.DescendantsOf(Environment.ProcessId), p => p.Name == "slirp4netns");
        Assert.False(HostProcesses.NetworkNamespaceInUse(ns), $"the container's network namespace {ns} is still in use");
    }

    [Fact]
    public async Task Network_default_runs_free_their_network_namespaces()
    {
        // The tap device outlives the NAT (it is persistent) and must go with the namespace: the
        // kernel's count of live network namespaces returns to where it was. Other processes on
        // the machine may hold a few namespaces meanwhile, hence the margin.
        const string liveNamespaces = "/sys/kernel/slab/net_namespace/objects";
        Assert.True(File.Exists(liveNamespaces), $"{liveNamespaces} is missing: the kernel does not show its network namespace count");
        static int Count() => int.Parse(File.ReadAllText(liveNamespaces).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        var before = Count();
        const int runs = 20;
        for (var i = 0; i < runs; i++)
        {
            var result = await RunAsync(WithDefaultNetwork(Spec("true")));
            Assert.True(result.Exit.Succeeded, result.ToString());
        }
        // The kernel frees namespaces from a work queue: give it a moment.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Count() > before + 5 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100, Timeout);
        }
        Assert.InRange(Count(), 0, before + 5);
    }

    [Fact]
    public async Task Network_default_nat_ends_with_a_cancelled_run()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        var run = RunUntilAsync(WithDefaultNetwork(Shell("sleep 1000; echo done")), cts.Token);
        int nat = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (nat == 0 || !HostSnapshot.ProcessesOf(Rootfs.Directory).Any(p => p.Contains("(sleep)", StringComparison.Ordinal)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the container with its NAT did not start");
            if (run.IsCompleted)
            {
                Assert.Fail("the run ended early: " + await run);
            }
            nat = HostProcesses.DescendantsOf(Environment.ProcessId).FirstOrDefault(p => p.Name == "slirp4netns").Pid;
            await Task.Delay(20, Timeout);
        }
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(Directory.Exists($"/proc/{nat}"), $"slirp4netns (pid {nat}) outlived the cancelled run");
        // DisposeAsync asserts that nothing else is left.
    }

    [Fact]
    public async Task Network_default_runs_leave_no_fds_open()
    {
        var spec = WithDefaultNetwork(Spec("true"));
        Assert.True((await RunAsync(spec)).Exit.Succeeded); // warm-up: whatever the engine opens once
        var before = EngineFds();
        for (var i = 0; i < 3; i++)
        {
            var result = await RunAsync(spec);
            Assert.True(result.Exit.Succeeded, result.ToString());
        }
        // Only what stays open counts: .NET may close an fd of an earlier run a little later
        // (a pipe's socket wrapper ends with its last pending operation), which is no leak.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string[] opened;
        while ((opened = EngineFds().Except(before).ToArray()).Length > 0 && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50, Timeout);
        }
        Assert.Empty(opened);
    }

    [Fact]
    public async Task Network_default_without_slirp4netns_is_a_start_failure_naming_the_package()
    {
        var executor = CreateExecutor(new EngineOptions { StateRoot = StateRoot, Slirp4netnsPath = Path.Combine(Rootfs.Directory, "no-such-slirp4netns") });
        var result = await RunResult.RunAsync(executor, WithDefaultNetwork(Spec("true")), Timeout);
        Assert.Equal(125, result.Exit.ExitCode);
        Assert.NotNull(result.Exit.Failure);
        Assert.Equal(StartFailureKind.SetupFailed, result.Exit.Failure.Kind);
        Assert.Contains("no-such-slirp4netns", result.Exit.Failure.Message);
        Assert.Contains("apt-get install slirp4netns", result.Exit.Failure.Message);
    }

    [Fact]
    public async Task Network_default_with_a_failing_nat_is_a_start_failure_with_its_message()
    {
        var broken = Path.Combine(Rootfs.Directory, "broken-slirp4netns");
        await File.WriteAllTextAsync(broken, "#!/bin/sh\necho 'cannot open /dev/net/tun: it broke' >&2\nexit 1\n", Timeout);
        File.SetUnixFileMode(broken, (UnixFileMode)0x1ED); // 0755
        var executor = CreateExecutor(new EngineOptions { StateRoot = StateRoot, Slirp4netnsPath = broken });
        var result = await RunResult.RunAsync(executor, WithDefaultNetwork(Spec("sh", "-c", "echo ran")), Timeout);
        Assert.Equal(125, result.Exit.ExitCode);
        Assert.NotNull(result.Exit.Failure);
        Assert.Contains("slirp4netns", result.Exit.Failure.Message);
        Assert.Contains("it broke", result.Exit.Failure.Message);
        Assert.Equal("", result.Stdout);
    }

    /// <summary>The pipes, sockets, memfds and event fds of this process and its init zygote, if any.</summary>
    private static string[] EngineFds()
    {
        var zygotes = HostProcesses.DescendantsOf(Environment.ProcessId).Where(p => p.Name == "builder-init").Select(p => p.Pid);
        return zygotes.Prepend(Environment.ProcessId)
            .SelectMany(pid => HostProcesses.OpenFds(pid).Select(fd => $"{pid}: {fd}"))
            .Where(fd => fd.Contains("pipe:", StringComparison.Ordinal) || fd.Contains("socket:", StringComparison.Ordinal)
                || fd.Contains("memfd:", StringComparison.Ordinal) || fd.Contains("anon_inode:", StringComparison.Ordinal)
                || fd.Contains("/dev/net/tun", StringComparison.Ordinal) || fd.Contains("net:[", StringComparison.Ordinal))
            .ToArray();
    }
}
