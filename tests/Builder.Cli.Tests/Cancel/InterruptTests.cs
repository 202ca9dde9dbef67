using System.Text;
using Builder.TestSupport;

namespace Builder.Cli.Tests.Cancel;

/// <summary>
/// Ctrl-C on <c>builder build</c>, end to end through the real binary: SIGINT while a RUN step is
/// running must kill the container, leave no mount and no half-written state behind, exit with
/// 130 (128 + SIGINT, as shells report an interrupted command; docker/buildx exit 1 here, but 130
/// tells scripts the build was interrupted rather than broken) and say that the build was canceled.
/// </summary>
public sealed class InterruptTests
{
    // An unusual duration, so the check for leftover processes cannot mistake anyone else's sleep for ours.
    private const string SleepSeconds = "3077";

    private static CancellationToken Timeout => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ctrl_c_during_a_run_step_cancels_cleanly_and_the_store_stays_usable()
    {
        using var cli = new StoreCli();
        await InterruptAndCheckAsync(cli, interrupts: 1);
    }

    [Fact]
    public async Task A_second_ctrl_c_while_cancelling_leaves_no_junk_either()
    {
        using var cli = new StoreCli();
        await InterruptAndCheckAsync(cli, interrupts: 2);
    }

    private static async Task InterruptAndCheckAsync(StoreCli cli, int interrupts)
    {
        Capabilities.RequireRoot();
        Assert.Equal(0, cli.Run("import", cli.BusyboxRootfs(), "base:1").ExitCode);
        var context = Path.Combine(cli.Dir, "context");
        Directory.CreateDirectory(context);
        var dockerfile = Path.Combine(context, "Dockerfile");
        await File.WriteAllTextAsync(dockerfile, $"FROM base:1\nRUN echo step-started && sleep {SleepSeconds}\n", Timeout);

        using (var build = BuilderProcess.Start("--root", cli.Root, "build", "--progress", "plain", "-t", "app:1", context))
        {
            await build.WaitForOutputAsync("step-started", Timeout);
            while (SleepProcesses().Count == 0)
            {
                await Task.Delay(20, Timeout); // until the container's command is sleeping: then interrupt it
            }
            build.Interrupt();
            if (interrupts > 1)
            {
                // Right behind the first, while the build is cleaning up (cleanup is quick: on a
                // fast machine the build may be gone already, which is fine too).
                build.Interrupt(mayHaveExited: true);
            }
            var exit = await build.WaitForExitAsync(Timeout);

            Assert.True(exit == 130, $"exit code {exit}, expected 130:\n{build.Output}");
            Assert.Contains("error: build canceled (interrupted)", build.Output);
            Assert.Matches(@"#\d+ CANCELED", build.Output); // the running step says so in the progress
            Assert.DoesNotContain("internal error", build.Output);
            Assert.DoesNotContain("   at ", build.Output); // no stack trace
        }

        Assert.Empty(SleepProcesses());
        Assert.Empty(MountsUnder(cli.Root));

        // The store is consistent: the same build with the sleep replaced works, nothing is
        // left for the interrupted step, and prune finds nothing broken.
        await File.WriteAllTextAsync(dockerfile, "FROM base:1\nRUN echo replaced > /done\n", Timeout);
        using (var rebuild = BuilderProcess.Start("--root", cli.Root, "build", "--progress", "plain", "-t", "app:1", context))
        {
            var exit = await rebuild.WaitForExitAsync(Timeout);
            Assert.True(exit == 0, $"rebuild failed ({exit}):\n{rebuild.Output}");
            var step = System.Text.RegularExpressions.Regex.Match(rebuild.Output, @"#(\d+) \[2/2\] RUN echo replaced");
            Assert.True(step.Success, rebuild.Output);
            Assert.Contains($"#{step.Groups[1].Value} DONE", rebuild.Output);
        }
        using (var prune = BuilderProcess.Start("--root", cli.Root, "prune", "--force"))
        {
            var exit = await prune.WaitForExitAsync(Timeout);
            Assert.True(exit == 0, $"prune failed ({exit}):\n{prune.Output}");
            Assert.StartsWith("removed 0 failed step state(s)", prune.Output);
        }
        var run = cli.RunBinary(null, "run", "--rm", "app:1", "busybox", "cat", "/done");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("replaced\n", Encoding.UTF8.GetString(run.Stdout));
        Assert.Empty(MountsUnder(cli.Root));
    }

    /// <summary>
    /// Processes whose command line has our sleep, anywhere on the host: the container's shell, and
    /// the sleep itself unless busybox's shell runs it in-process.
    /// </summary>
    private static List<int> SleepProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var commandLine = Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline"))).Replace('\0', ' ');
                if (commandLine.Contains("sleep " + SleepSeconds, StringComparison.Ordinal) && !commandLine.Contains("dotnet", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // exited while we looked
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    private static List<string> MountsUnder(string root) =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4])
            .Where(p => p.StartsWith(root + "/", StringComparison.Ordinal) || p == root)
            .ToList();
}
