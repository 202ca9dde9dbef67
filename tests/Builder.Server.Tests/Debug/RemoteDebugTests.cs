using Builder.Cli.Tests.Debug;
using Builder.TestSupport;

namespace Builder.Server.Tests.Debug;

/// <summary>
/// <c>builder debug</c> and <c>builder history</c> with <c>--host</c>: a failing build on a real server over a unix
/// socket, then the CLI (a separate process) lists, enters, re-runs, exports and diffs the state kept on the server.
/// </summary>
public sealed class RemoteDebugTests
{
    [Fact]
    public async Task Ls_ShowsTheServersFailedStepWithItsLineAndExitCode_AndHistoryShowsItKept()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var ls = await session.RunAsync("debug", "ls");
        var history = await session.RunAsync("history");
        var builds = await session.RunAsync("history", "--builds");

        Assert.Equal(0, ls.ExitCode);
        var rows = RemoteDebugSession.Table(ls.Out);
        Assert.Equal(["ID", "CREATED", "IMAGE/BUILD", "SOURCE", "INSTRUCTION", "EXIT", "SIZE", "EXPIRES"], rows[0]);
        var row = Assert.Single(rows.Skip(1));
        Assert.Equal(id, row[0]);
        Assert.Equal("docker.io/library/app:broken", row[2]);
        Assert.EndsWith("Dockerfile:3", row[3], StringComparison.Ordinal);
        Assert.StartsWith("RUN echo " + RemoteDebugSession.PartialContent, row[4], StringComparison.Ordinal);
        Assert.Equal("3", row[5]);
        Assert.NotEqual("gone", row[6]);
        Assert.Equal(0, history.ExitCode);
        var failed = Assert.Single(RemoteDebugSession.Table(history.Out).Skip(2), r => r[^1].Contains("RUN echo", StringComparison.Ordinal));
        Assert.Equal($"FAILED (kept: {id})", failed[1]);
        Assert.Equal("failed/" + id, failed[3]);
        Assert.Equal(0, builds.ExitCode);
        Assert.Contains("failed", RemoteDebugSession.Table(builds.Out)[1]);
    }

    [Fact]
    public async Task Shell_OnAPseudoTerminal_DrivesAShellOnTheServer_ThatSeesTheFileTheFailingStepWrote()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        using var pty = new PtyProcess(session.CommandLine($"debug shell {id}"));
        // The shell echoes what is typed; the arithmetic makes the marker appear only in the command's output.
        await pty.TypeAsync("tty; pwd; cat /work/partial.txt; echo mark-$((6*7))\n");
        await pty.WaitForAsync("mark-42");
        await pty.TypeAsync("exit 5\n");
        var code = await pty.ExitAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(pty.Output);

        Assert.Matches($"(?m)^{RemoteDebugSession.PartialContent}\\r*$", pty.Output);
        Assert.DoesNotContain("not a tty", pty.Output, StringComparison.Ordinal); // the shell on the server has a terminal of its own,
        Assert.Contains("/ # ", pty.Output, StringComparison.Ordinal); // so it is interactive and prompts in the step's working directory
        Assert.Equal(5, code); // and its exit code comes back
    }

    [Fact]
    public async Task Shell_GetsThisTerminalsSize_AndItsResizes()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();
        var flag = Path.Combine(session.Scratch, "resize-now");

        // The client's terminal starts at 43x132; when the test says so, a process on it resizes it to 30x100,
        // which sends SIGWINCH to the client (the terminal's foreground process group).
        using var pty = new PtyProcess($"stty rows 43 cols 132; (while [ ! -e {flag} ]; do sleep 0.1; done; stty rows 30 cols 100 < /dev/tty) & exec {session.CommandLine($"debug shell {id}")}");
        await pty.TypeAsync("busybox stty size; echo mark-$((6*7))\n");
        await pty.WaitForAsync("mark-42");
        Assert.Matches("(?m)^43 132\\r*$", pty.Output);
        File.WriteAllText(flag, "");
        for (var i = 0; i < 100 && !System.Text.RegularExpressions.Regex.IsMatch(pty.Output, "(?m)^30 100\\r*$"); i++)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
            await pty.TypeAsync("busybox stty size\n");
        }
        await pty.TypeAsync("exit 0\n");

        Assert.Equal(0, await pty.ExitAsync());
        Assert.Matches("(?m)^30 100\\r*$", pty.Output);
    }

    [Fact]
    public async Task Shell_CtrlC_ReachesTheShellOnTheServer_AsSigint()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var (flag, report) = (Path.Combine(session.Scratch, "probe"), Path.Combine(session.Scratch, "modes"));
        using var pty = new PtyProcess(PtyProcess.ReportingTerminalModes(session.CommandLine($"debug shell {id}"), flag, report));
        // A trap proves the shell got SIGINT; the sleep in the foreground is what Ctrl-C interrupts.
        await pty.TypeAsync("trap 'echo got-$((100+2))' INT; echo ready-$((6*7))\n");
        await pty.WaitForAsync("ready-42");
        // The client's terminal stays raw once stdin is being read, so Ctrl-C travels as a key, not as a signal to the client.
        Assert.Matches(@"(^|\s)-isig(\s|$)", await PtyProcess.TerminalModesAsync(flag, report));
        await pty.TypeAsync("sleep 30; echo after-$((7*7))\n");
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        await pty.TypeAsync("\u0003");
        await pty.WaitForAsync("got-102");
        await pty.TypeAsync("exit 0\n");

        Assert.Equal(0, await pty.ExitAsync());
    }

    [Fact]
    public async Task Interrupt_WithoutATerminal_StopsTheCommandOnTheServer_WithSigintsExitCode()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();
        var marker = 3000 + Random.Shared.Next(1000);

        using var client = session.Start("debug", "shell", id, "--cmd", $"sleep {marker}");
        var stderr = client.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        for (var i = 0; i < 300 && !SleepRunning(marker); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.True(SleepRunning(marker), "the command should be running on the server");
        Assert.Equal(1, session.Server.Server.Gate.Running); // the debug container holds a slot
        Assert.Equal(0, kill(client.Id, 2)); // SIGINT, as Ctrl-C sends it
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await client.WaitForExitAsync(timeout.Token);

        Assert.Equal(130, client.ExitCode); // 128 + SIGINT
        Assert.DoesNotContain("internal error", await stderr, StringComparison.Ordinal);
        for (var i = 0; i < 100 && (SleepRunning(marker) || session.Server.Server.Gate.Running > 0); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.False(SleepRunning(marker), "the command is still running on the server");
        Assert.Equal(0, session.Server.Server.Gate.Running);
        Assert.DoesNotContain(session.Server.DataRootPath + "/tmp/debug-", await File.ReadAllTextAsync("/proc/self/mountinfo", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Shell_Before_LacksTheFile_AndChangesAreDiscarded()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var before = await session.RunAsync("debug", "shell", id, "--before", "--cmd", "ls /work");
        var after = await session.RunAsync("debug", "shell", id, "--cmd", "ls /work");
        var write = await session.RunAsync("debug", "shell", id, "--cmd", "rm /work/partial.txt");
        var again = await session.RunAsync("debug", "shell", id, "--cmd", "ls /work");

        Assert.Equal(0, before.ExitCode);
        Assert.Equal("base.txt", before.Out.Trim());
        Assert.Equal(["base.txt", "partial.txt"], after.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, write.ExitCode);
        Assert.Equal(after.Out, again.Out);
    }

    [Fact]
    public async Task Export_WritesTheServersStateHere_AsTarAndDirectory()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();
        var afterTar = Path.Combine(session.Scratch, "after.tar");
        var beforeTar = Path.Combine(session.Scratch, "before.tar");
        var dir = Path.Combine(session.Scratch, "exported");

        var tar = await session.RunAsync("debug", "export", id, "-o", afterTar);
        Assert.Equal(0, tar.ExitCode);
        Assert.Equal(0, (await session.RunAsync("debug", "export", id, "--before", "-o", beforeTar)).ExitCode);
        Assert.Equal(0, (await session.RunAsync("debug", "export", id, "-o", dir)).ExitCode);

        Assert.Contains($"exported failed step {id} to {afterTar}", tar.Error, StringComparison.Ordinal);
        var after = await TarNames.ReadAsync(afterTar);
        var before = await TarNames.ReadAsync(beforeTar);
        Assert.Contains("work/base.txt", before);
        Assert.Contains("bin/busybox", before);
        Assert.Equal(["work/partial.txt"], after.Except(before).ToArray());
        Assert.Empty(before.Except(after));
        Assert.Equal(RemoteDebugSession.PartialContent + "\n", File.ReadAllText(Path.Combine(dir, "work", "partial.txt")));
        Assert.True(File.Exists(Path.Combine(dir, "bin", "busybox")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(dir, "bin", "sh")).LinkTarget); // links stay links
        var onDisk = Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(dir, p)).ToHashSet();
        Assert.Equal(after.OrderBy(n => n, StringComparer.Ordinal), onDisk.OrderBy(n => n, StringComparer.Ordinal)); // exactly the tar's entries
    }

    [Fact]
    public async Task Diff_ListsWhatTheFailingStepAdded_OnTheServer()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var diff = await session.RunAsync("debug", "diff", id);

        Assert.Equal(0, diff.ExitCode);
        Assert.Equal(["A /work/partial.txt"], diff.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Rerun_OnTheServer_ReproducesTheExitCode_WithItsOutputLive()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var rerun = await session.RunAsync("debug", "rerun", id[..6]);
        var diff = await session.RunAsync("debug", "diff", id);

        Assert.Equal(3, rerun.ExitCode);
        Assert.Contains("re-running [", rerun.Error, StringComparison.Ordinal);
        Assert.Contains("exit code 3 (the build's run: exit code 3)", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(["A /work/partial.txt"], diff.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // the kept state is untouched
    }

    [Fact]
    public async Task Commit_SavesTheShellsChangesAsAnImageOnTheServersStore()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var shell = await session.RunAsync("debug", "shell", id, "--cmd", "cp /work/partial.txt /work/copy.txt", "--commit", "debugged:1");
        var images = await session.RunAsync("images");

        Assert.Equal(0, shell.ExitCode);
        Assert.Contains("committed the changes as docker.io/library/debugged:1 (sha256:", shell.Error, StringComparison.Ordinal);
        Assert.Contains(RemoteDebugSession.Table(images.Out), r => r[0] == "debugged" && r[1] == "1");
    }

    [Fact]
    public async Task NetworkHostAndSecurityInsecure_AreRefused_UnlessTheServersOperatorAllowsThem()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        var id = await session.BuildFailingAsync();

        var host = await session.RunAsync("debug", "shell", id, "--network", "host", "--cmd", "true");
        var insecure = await session.RunAsync("debug", "shell", id, "--security", "insecure", "--cmd", "true");
        var rerunHost = await session.RunAsync("debug", "rerun", id, "--network", "host");
        var none = await session.RunAsync("debug", "shell", id, "--network", "none", "--cmd", "true");

        Assert.Equal(1, host.ExitCode);
        Assert.Contains("--network host needs entitlement network.host", host.Error, StringComparison.Ordinal);
        Assert.Contains("builder serve --allow network.host", host.Error, StringComparison.Ordinal);
        Assert.Equal(1, insecure.ExitCode);
        Assert.Contains("builder serve --allow security.insecure", insecure.Error, StringComparison.Ordinal);
        Assert.Equal(1, rerunHost.ExitCode);
        Assert.Contains("network.host", rerunHost.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("re-running", rerunHost.Error, StringComparison.Ordinal); // refused before anything ran
        Assert.Equal(0, none.ExitCode);
    }

    [Fact]
    public async Task NetworkHost_RunsWhenTheServerAllowsIt()
    {
        await using var session = await RemoteDebugSession.StartAsync("network.host");
        var id = await session.BuildFailingAsync();
        var hostInterfaces = Interfaces(await File.ReadAllTextAsync("/proc/net/dev", TestContext.Current.CancellationToken));

        // With the host's network the container sees the host's interfaces; with none only loopback.
        var host = await session.RunAsync("debug", "shell", id, "--network", "host", "--cmd", "cat /proc/net/dev");
        var none = await session.RunAsync("debug", "shell", id, "--cmd", "cat /proc/net/dev");

        Assert.Equal(0, host.ExitCode);
        Assert.Equal(hostInterfaces, Interfaces(host.Out));
        Assert.Equal(["lo"], Interfaces(none.Out));
    }

    [Fact]
    public async Task SecurityInsecure_RunsPrivileged_WhenTheServerAllowsIt()
    {
        await using var session = await RemoteDebugSession.StartAsync("security.insecure");
        var id = await session.BuildFailingAsync();

        // Privileged: the capability sets are the engine's own (the server runs as root) and mounting works.
        // (--cmd splits on spaces, so each check is one plain command.)
        var insecureCaps = await session.RunAsync("debug", "shell", id, "--security", "insecure", "--cmd", "cat /proc/self/status");
        var insecureMount = await session.RunAsync("debug", "shell", id, "--security", "insecure", "--cmd", "mount -t tmpfs none /work");
        var sandboxCaps = await session.RunAsync("debug", "shell", id, "--cmd", "cat /proc/self/status");
        var sandboxMount = await session.RunAsync("debug", "shell", id, "--cmd", "mount -t tmpfs none /work");

        Assert.Equal(0, insecureCaps.ExitCode);
        Assert.Equal(Effective(File.ReadAllText("/proc/self/status")), Effective(insecureCaps.Out));
        Assert.Equal(0, insecureMount.ExitCode);
        Assert.Equal(0, sandboxCaps.ExitCode);
        Assert.NotEqual(Effective(File.ReadAllText("/proc/self/status")), Effective(sandboxCaps.Out));
        Assert.NotEqual(0, sandboxMount.ExitCode);

        static string Effective(string status) =>
            status.Split('\n').Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal))["CapEff:".Length..].Trim();
    }

    [Fact]
    public async Task UnknownId_IsTheLocalCommandsErrorLine()
    {
        await using var session = await RemoteDebugSession.StartAsync();
        await session.BuildFailingAsync();

        var shell = await session.RunAsync("debug", "shell", "zzzz");

        Assert.Equal(1, shell.ExitCode);
        Assert.Equal("error: no kept failed step has the id zzzz (see builder debug ls; kept states expire, and builder prune removes them)", shell.Error.Trim());
    }

    private static bool SleepRunning(int marker) =>
        Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Trim() == $"sleep {marker}";
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>The interface names of a /proc/net/dev (two header lines, then NAME: counters).</summary>
    private static string[] Interfaces(string procNetDev) => procNetDev.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Skip(2).Select(line => line.Split(':')[0].Trim()).Order(StringComparer.Ordinal).ToArray();
}
