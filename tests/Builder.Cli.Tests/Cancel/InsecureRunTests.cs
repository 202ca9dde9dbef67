using Builder.TestSupport;

namespace Builder.Cli.Tests.Cancel;

/// <summary><c>RUN --security=insecure</c> through <c>builder build</c>: allowed only with <c>--allow security.insecure</c>.</summary>
public sealed class InsecureRunTests
{
    private const string MountAndRecord =
        "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && grep CapEff /proc/self/status > /capeff && umount /tmp/m";

    [Fact]
    public void Insecure_run_with_the_entitlement_can_mount_and_has_every_capability()
    {
        using var cli = new StoreCli();
        var result = Build(cli, $"RUN --security=insecure {MountAndRecord}", "--allow", "security.insecure");
        Assert.True(result.ExitCode == 0, result.Error);

        var capEff = cli.RunBinary(null, "run", "--rm", "--network", "none", "app:1", "busybox", "cat", "/capeff");
        Assert.True(capEff.ExitCode == 0, capEff.Error);
        var own = File.ReadLines("/proc/self/status").First(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        Assert.Equal(own + "\n", System.Text.Encoding.UTF8.GetString(capEff.Stdout)); // the build ran in this process: the step had all of its capabilities
    }

    [Fact]
    public void The_same_run_without_security_insecure_is_sandboxed_and_fails()
    {
        using var cli = new StoreCli();
        var result = Build(cli, $"RUN {MountAndRecord}", "--allow", "security.insecure");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("failed: exit code", result.Error);
        Assert.Contains("ermission denied", result.Error); // mount's own complaint, in the last lines of output
    }

    [Fact]
    public void Insecure_run_without_the_entitlement_is_refused_with_how_to_allow_it()
    {
        using var cli = new StoreCli();
        var result = Build(cli, $"RUN --security=insecure {MountAndRecord}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("RUN --security=insecure needs the security.insecure entitlement: build with --allow security.insecure", result.Error);
        Assert.Contains("Dockerfile:2", result.Error);
    }

    private static CliRunner.Result Build(StoreCli cli, string run, params string[] flags)
    {
        Capabilities.RequireRoot();
        Assert.Equal(0, cli.Run("import", cli.BusyboxRootfs(), "base:1").ExitCode);
        var context = Path.Combine(cli.Dir, "context");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), $"FROM base:1\n{run}\n");
        return cli.Run(["build", "--progress", "plain", "--network", "none", "-t", "app:1", .. flags, context]);
    }
}
