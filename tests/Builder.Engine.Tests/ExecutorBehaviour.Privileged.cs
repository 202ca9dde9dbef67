namespace Builder.Engine.Tests;

/// <summary>Insecure mode (<see cref="ContainerSpec.Privileged"/>, RUN --security=insecure) against the default sandbox.</summary>
public abstract partial class ExecutorBehaviour
{
    private const string MountTmpfs = "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && grep -c ' /tmp/m ' /proc/self/mountinfo && umount /tmp/m && echo mounted";

    [Fact]
    public async Task Privileged_root_gets_every_capability_the_engine_has()
    {
        var result = await RunAsync(Shell("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status") with { Privileged = true });
        Assert.True(result.Exit.Succeeded, result.ToString());
        var caps = ParseStatus(result.Stdout);
        var engine = OwnEffectiveCapabilities();
        Assert.NotEqual("00000000a80425fb", engine); // the test runs as root with more than Docker's default set
        foreach (var set in new[] { "CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb" })
        {
            Assert.Equal(engine, caps[set]);
        }
    }

    [Fact]
    public async Task Privileged_other_users_keep_every_capability()
    {
        var result = await RunAsync(Shell("grep -E '^(Uid|CapEff|CapAmb)' /proc/self/status") with { Privileged = true, User = "alice" });
        Assert.True(result.Exit.Succeeded, result.ToString());
        var status = ParseStatus(result.Stdout);
        Assert.Equal("1000 1000 1000 1000", status["Uid"]);
        Assert.Equal(OwnEffectiveCapabilities(), status["CapEff"]);
        Assert.Equal(OwnEffectiveCapabilities(), status["CapAmb"]);
    }

    [Fact]
    public async Task Privileged_command_can_mount_a_filesystem()
    {
        var result = await RunAsync(Shell(MountTmpfs) with { Privileged = true });
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("1\nmounted\n", result.Stdout);
    }

    [Fact]
    public async Task Sandboxed_command_cannot_mount_a_filesystem()
    {
        var result = await RunAsync(Shell(MountTmpfs));
        Assert.False(result.Exit.Succeeded, result.ToString());
        Assert.DoesNotContain("mounted", result.Stdout);
        Assert.Contains("ermission denied", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Privileged_proc_and_sys_are_neither_masked_nor_read_only()
    {
        var result = await RunAsync(Shell("""
            grep -cE ' /proc/[^ ]+ | /sys/[^ ]+ ' /proc/self/mountinfo
            grep -E ' /sys | /proc ' /proc/self/mountinfo | grep -c ' ro,'
            grep -E ' /sys ' /proc/self/mountinfo | grep -c ' rw,'
            """) with { Privileged = true });
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 3, result.ToString());
        Assert.Equal("0", lines[0]); // nothing masked or remounted read-only below /proc or /sys
        Assert.Equal("0", lines[1]);
        Assert.Equal("1", lines[2]);
    }

    [Fact]
    public async Task Privileged_dev_has_buildkits_extra_devices()
    {
        var result = await RunAsync(Shell("for d in fuse kvm kmsg cuse loop-control net/tun loop0 loop7; do stat -c '%n %F %t:%T' /dev/$d; done") with { Privileged = true });
        Assert.True(result.Exit.Succeeded, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/dev/fuse character special file a:e5", lines[0]);
        Assert.Equal("/dev/net/tun character special file a:c8", lines[5]);
        Assert.Equal("/dev/loop0 block special file 7:0", lines[6]);
        Assert.Equal("/dev/loop7 block special file 7:7", lines[7]);
    }

    [Fact]
    public async Task Sandboxed_dev_has_no_fuse_or_loop_devices()
    {
        var result = await RunAsync(Shell("ls /dev | tr '\\n' ' '"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.DoesNotContain("fuse", result.Stdout);
        Assert.DoesNotContain("loop", result.Stdout);
    }

    private static string OwnEffectiveCapabilities() =>
        File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal))[7..].Trim();
}
