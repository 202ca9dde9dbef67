using Builder.TestSupport;

namespace Builder.Cli.Tests.Debug;

/// <summary>
/// <c>builder build</c> keeps a failed step's state and <c>builder debug</c> finds, enters, re-runs, exports
/// and diffs it; <c>builder history</c> and <c>builder prune</c>. Real builds (root, the shared busybox image).
/// </summary>
public sealed class DebugCommandTests
{
    [Fact]
    public async Task Ls_ShowsTheFailedStepWithItsDockerfileLineAndExitCode()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing("-t", "app:broken");

        var ls = session.Run("debug", "ls");
        TestContext.Current.TestOutputHelper?.WriteLine(ls.Out);

        Assert.Equal(0, ls.ExitCode);
        var rows = DebugSession.Table(ls.Out);
        Assert.Equal(["ID", "CREATED", "IMAGE/BUILD", "SOURCE", "INSTRUCTION", "EXIT", "SIZE", "EXPIRES"], rows[0]);
        var row = Assert.Single(rows.Skip(1));
        Assert.Equal(id, row[0]);
        Assert.Equal("docker.io/library/app:broken", row[2]);
        Assert.Equal(Path.Combine(session.Context, "Dockerfile") + ":3", row[3]);
        Assert.StartsWith("RUN echo " + DebugSession.PartialContent, row[4], StringComparison.Ordinal);
        Assert.Equal("3", row[5]);
        Assert.StartsWith("in ", row[7], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shell_OnAPseudoTerminal_SeesTheFileTheFailingStepWrote()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();

        var scratch = Path.GetDirectoryName(session.Root)!;
        var (flag, report) = (Path.Combine(scratch, "probe"), Path.Combine(scratch, "modes"));
        using var pty = new PtyProcess(PtyProcess.ReportingTerminalModes($"{DebugSession.BuilderExecutable()} --root {session.Root} debug shell {id}", flag, report));
        // The shell echoes what is typed; the arithmetic makes the marker appear only in the command's output.
        await pty.TypeAsync("tty; pwd; cat /work/partial.txt; echo mark-$((6*7))\n");
        await pty.WaitForAsync("mark-42");
        // Raw mode all the while the shell runs (after stdin has been read): Ctrl-C is a key for the container's
        // terminal, not a signal for the client, and nothing is echoed twice.
        var modes = await PtyProcess.TerminalModesAsync(flag, report);
        Assert.Matches(@"(^|\s)-isig(\s|$)", modes);
        Assert.Matches(@"(^|\s)-icanon(\s|$)", modes);
        Assert.Matches(@"(^|\s)-echo(\s|$)", modes);
        await pty.TypeAsync("exit 5\n");
        var code = await pty.ExitAsync();

        Assert.Matches($"(?m)^{DebugSession.PartialContent}\\r*$", pty.Output);
        Assert.DoesNotContain("not a tty", pty.Output, StringComparison.Ordinal); // the shell has a real terminal,
        Assert.Contains("/ # ", pty.Output, StringComparison.Ordinal); // so it is interactive and prompts in the step's working directory
        Assert.Equal(5, code);
    }

    [Fact]
    public async Task BuildOnFailureShell_OpensTheShellInTheFailedState_ThenFailsTheBuild()
    {
        using var session = await DebugSession.CreateAsync();
        File.WriteAllText(Path.Combine(session.Context, "Dockerfile"), session.FailingDockerfile);

        using var pty = new PtyProcess($"{DebugSession.BuilderExecutable()} --root {session.Root} build --progress plain --on-failure shell {session.Context}");
        await pty.WaitForAsync("opening a shell in the failed step's state");
        await pty.TypeAsync("cat /work/partial.txt; echo mark-$((6*7))\n");
        await pty.WaitForAsync("mark-42");
        await pty.TypeAsync("exit 0\n");
        var code = await pty.ExitAsync();

        var shell = pty.Output[pty.Output.IndexOf("opening a shell", StringComparison.Ordinal)..]; // the build's log also names the content
        Assert.Matches($"(?m)^{DebugSession.PartialContent}\\r*$", shell);
        Assert.Equal(1, code); // the build still failed
        Assert.Single(session.Run("debug", "ls", "-q").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // and its state is kept
    }

    [Fact]
    public async Task Run_Interactive_StillWorksOverTheSharedContainerPiece()
    {
        using var session = await DebugSession.CreateAsync();
        Assert.Equal(0, session.Build(session.CorrectedDockerfile, "-t", "fixed:1").ExitCode);

        using var pty = new PtyProcess($"{DebugSession.BuilderExecutable()} --root {session.Root} run -it fixed:1 sh");
        await pty.TypeAsync("cat /work/partial.txt; echo mark-$((6*7))\n");
        await pty.WaitForAsync("mark-42");
        await pty.TypeAsync("exit 4\n");

        Assert.Equal(4, await pty.ExitAsync());
        Assert.Matches($"(?m)^{DebugSession.PartialContent}\\r*$", pty.Output);
    }

    [Fact]
    public async Task Shell_Before_LacksTheFileAndChangesAreDiscarded()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();

        var before = session.Run("debug", "shell", id, "--before", "--cmd", "ls /work");
        var after = session.Run("debug", "shell", id, "--cmd", "ls /work");
        var write = session.Run("debug", "shell", id, "--cmd", "rm /work/partial.txt");
        var again = session.Run("debug", "shell", id, "--cmd", "ls /work");

        Assert.Equal(0, before.ExitCode);
        Assert.Equal("base.txt", before.StdoutText.Trim());
        Assert.Equal(["base.txt", "partial.txt"], after.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, write.ExitCode);
        Assert.Equal(after.StdoutText, again.StdoutText);
    }

    [Fact]
    public async Task Export_HoldsExactlyTheBaseFilesPlusWhatTheStepWrote()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();
        var afterTar = Path.Combine(session.Scratch, "after.tar");
        var beforeTar = Path.Combine(session.Scratch, "before.tar");
        var dir = Path.Combine(session.Scratch, "exported");

        Assert.Equal(0, session.Run("debug", "export", id, "-o", afterTar).ExitCode);
        Assert.Equal(0, session.Run("debug", "export", id, "--before", "-o", beforeTar).ExitCode);
        Assert.Equal(0, session.Run("debug", "export", id, "-o", dir).ExitCode);

        var after = await TarNames.ReadAsync(afterTar);
        var before = await TarNames.ReadAsync(beforeTar);
        Assert.Contains("work/base.txt", before);
        Assert.Contains("bin/busybox", before);
        Assert.Equal(["work/partial.txt"], after.Except(before).ToArray());
        Assert.Empty(before.Except(after));
        Assert.Equal(DebugSession.PartialContent + "\n", File.ReadAllText(Path.Combine(dir, "work", "partial.txt")));
        Assert.True(File.Exists(Path.Combine(dir, "bin", "busybox")));
    }

    [Fact]
    public async Task Diff_ListsOnlyWhatTheFailingStepAdded()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();

        var diff = session.Run("debug", "diff", id);

        Assert.Equal(0, diff.ExitCode);
        Assert.Equal(["A /work/partial.txt"], diff.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Diff_ListsAddedChangedAndDeletedPaths_DeletedDirectoriesOnce()
    {
        using var session = await DebugSession.CreateAsync();
        session.Build($"""
            FROM {session.BaseImage}
            RUN mkdir -p /work/sub && echo base > /work/base.txt && echo s > /work/sub/s.txt && echo keep > /keep.txt
            RUN rm /work/base.txt && rm -rf /work/sub && echo more >> /keep.txt && mkdir /new && echo n > /new/n.txt && exit 1
            """);
        var id = session.Run("debug", "ls", "-q").Out.Trim();

        var diff = session.Run("debug", "diff", id);

        Assert.Equal(0, diff.ExitCode);
        Assert.Equal(["C /keep.txt", "A /new", "A /new/n.txt", "D /work/base.txt", "D /work/sub"], diff.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Rerun_ReproducesTheExitCodeInAFreshCopyOfTheStateBefore()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();

        var rerun = session.Run("debug", "rerun", id[..6]);
        var diff = session.Run("debug", "diff", id);

        Assert.Equal(3, rerun.ExitCode);
        Assert.Contains("exit code 3 (the build's run: exit code 3)", rerun.Error, StringComparison.Ordinal);
        Assert.Equal(["A /work/partial.txt"], diff.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // the kept state is untouched
    }

    [Fact]
    public async Task CorrectedDockerfile_RebuildsTheFailedStep_AndHistoryShowsCachedAndDone()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();

        var build = session.Build(session.CorrectedDockerfile, "-t", "fixed:1");
        var history = session.Run("history");
        TestContext.Current.TestOutputHelper?.WriteLine(history.Out);
        var run = session.Run("run", "fixed:1", "cat", "/work/partial.txt");

        Assert.Equal(0, build.ExitCode);
        Assert.Equal(0, history.ExitCode);
        var rows = DebugSession.Table(history.Out).Skip(1).ToList(); // first line: build id and status
        Assert.Equal(["STEP", "STATUS", "DURATION", "SNAPSHOT", "SIZE", "INSTRUCTION"], rows[0]);
        var mkdir = Assert.Single(rows, r => r[^1].Contains("RUN mkdir", StringComparison.Ordinal));
        var fixedStep = Assert.Single(rows, r => r[^1].Contains("RUN echo", StringComparison.Ordinal));
        Assert.Equal("CACHED", mkdir[1]);
        Assert.Equal("DONE", fixedStep[1]);
        Assert.DoesNotContain("failed/", fixedStep[3], StringComparison.Ordinal);
        Assert.Equal(DebugSession.PartialContent + "\n", run.StdoutText);
        Assert.Contains(id, session.Run("debug", "ls", "-q").Out, StringComparison.Ordinal); // kept, and not consumed
    }

    [Fact]
    public async Task Step_EntersTheStateAfterAnyRecordedStep()
    {
        using var session = await DebugSession.CreateAsync();
        Assert.Equal(0, session.Build(session.CorrectedDockerfile).ExitCode);
        var rows = DebugSession.Table(session.Run("history").Out).Skip(2).ToList();
        var mkdir = Assert.Single(rows, r => r[^1].Contains("RUN mkdir", StringComparison.Ordinal));

        var shell = session.Run("debug", "shell", "--step", mkdir[0], "--cmd", "ls /work");

        Assert.Equal(0, shell.ExitCode);
        Assert.Equal("base.txt", shell.StdoutText.Trim());
    }

    [Fact]
    public async Task Commit_SavesTheShellsChangesAsAnImageThatRunSees()
    {
        using var session = await DebugSession.CreateAsync();
        var id = session.BuildFailing();

        var shell = session.Run("debug", "shell", id, "--cmd", "cp /work/partial.txt /work/copy.txt", "--commit", "debugged:1");
        var run = session.Run("run", "debugged:1", "cat", "/work/copy.txt");

        Assert.Equal(0, shell.ExitCode);
        Assert.Contains("committed the changes as", shell.Error, StringComparison.Ordinal);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(DebugSession.PartialContent + "\n", run.StdoutText);
    }

    [Fact]
    public async Task Expiry_RemovesTheStateAtTheNextBuildAndPrune()
    {
        using var session = await DebugSession.CreateAsync();
        var expiring = session.BuildFailing("--keep-failed-for", "0.001s");
        var snapshotsBefore = Directory.GetDirectories(Path.Combine(session.Root, "snapshots")).Length;

        var shell = session.Run("debug", "shell", expiring, "--cmd", "true");
        var prune = session.Run("prune", "--force");
        var ls = session.Run("debug", "ls", "-q");

        Assert.Equal(1, shell.ExitCode);
        Assert.Contains("expired", shell.Error, StringComparison.Ordinal);
        Assert.Equal(0, prune.ExitCode);
        Assert.StartsWith("removed 1 failed step state(s)", prune.Out, StringComparison.Ordinal);
        Assert.Empty(ls.Out.Trim());
        Assert.True(Directory.GetDirectories(Path.Combine(session.Root, "snapshots")).Length < snapshotsBefore);

        // Kept again, expiring at once: the next build's start removes it.
        var second = session.BuildFailing("--keep-failed-for", "0.001s");
        Assert.Equal(0, session.Build(session.CorrectedDockerfile).ExitCode);
        Assert.DoesNotContain(second, session.Run("debug", "ls", "-q").Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_AreNeverKept_AndMountOnlyWhenGivenAgain()
    {
        using var session = await DebugSession.CreateAsync();
        var secretFile = Path.Combine(session.Scratch, "token");
        File.WriteAllText(secretFile, "s3cr3t-value");
        var build = session.Build($"""
            FROM {session.BaseImage}
            ENV VISIBLE=yes
            RUN --mount=type=secret,id=tok,env=TOK test -n "$TOK" && exit 7
            """, "--secret", $"id=tok,src={secretFile}");
        Assert.Equal(1, build.ExitCode);
        var id = session.Run("debug", "ls", "-q").Out.Trim();
        Assert.Equal("7", DebugSession.Table(session.Run("debug", "ls").Out)[1][5]); // the step saw the secret

        var env = session.Run("debug", "shell", id, "--cmd", "env");
        var without = session.Run("debug", "shell", id, "--cmd", "ls /run/secrets");
        var with = session.Run("debug", "shell", id, "--secret", $"id=tok,src={secretFile}", "--cmd", "cat /run/secrets/tok");

        Assert.Contains("VISIBLE=yes", env.StdoutText, StringComparison.Ordinal); // the step's env is there
        Assert.DoesNotContain("s3cr3t-value", env.StdoutText, StringComparison.Ordinal); // but not the secret
        Assert.DoesNotContain("tok", without.StdoutText, StringComparison.Ordinal);
        Assert.Equal(0, with.ExitCode);
        Assert.Equal("s3cr3t-value", with.StdoutText);
        foreach (var db in Directory.GetFiles(session.Root, "metadata.db*")) // the db and its WAL
        {
            Assert.DoesNotContain("s3cr3t-value", File.ReadAllText(db), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Discard_KeepsNothing()
    {
        using var session = await DebugSession.CreateAsync();

        var build = session.Build(session.FailingDockerfile, "--on-failure", "discard");

        Assert.Equal(1, build.ExitCode);
        Assert.Empty(session.Run("debug", "ls", "-q").Out.Trim());
        Assert.DoesNotContain("builder debug shell", build.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownId_IsOneErrorLine()
    {
        using var session = await DebugSession.CreateAsync();
        session.BuildFailing();

        var shell = session.Run("debug", "shell", "zzzz");

        Assert.Equal(1, shell.ExitCode);
        Assert.Equal("error: no kept failed step has the id zzzz (see builder debug ls; kept states expire, and builder prune removes them)", shell.Error.Trim());
    }
}
