using Builder.Cli.Progress;
using Builder.Solver.Progress;
using Spectre.Console.Testing;

namespace Builder.Cli.Tests.Progress;

public sealed class TtyProgressRendererTests
{
    private static string[] Texts(IReadOnlyList<FrameLine> frame) => frame.Select(l => l.Text).ToArray();

    /// <summary>Waits until the render loop drew a frame that reflects the first <paramref name="version"/> events.</summary>
    internal static async Task WaitForFrameAsync(TtyProgressRenderer renderer, long version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (renderer.DrawnVersion < version)
        {
            Assert.True(DateTime.UtcNow < deadline, "the render loop drew no frame");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void RunningStepShowsItsTimerAndLastLines()
    {
        var t = new Timeline();
        var view = new TtyBuildView(Timeline.Start);
        view.Apply(t.Cached(1, "[build 1/3] FROM busybox"));
        view.Apply(t.Running(2, "[build 2/3] RUN make"));
        for (var i = 1; i <= 8; i++)
        {
            view.Apply(t.Log(2, $"output line {i}\n", i * 0.1));
        }
        view.Apply(t.Log(2, "\x1b[32mcolored\x1b[0m\tpartial", 0.9));

        var frame = Texts(view.Frame(t.Advance(3.24).Now, 80, 40, outcome: null));
        Assert.Equal("[+] Building 3.2s (1/2)", frame[0]);
        Assert.StartsWith(" => CACHED [build 1/3] FROM busybox ", frame[1], StringComparison.Ordinal);
        Assert.EndsWith(" 0.0s", frame[1], StringComparison.Ordinal);
        Assert.StartsWith(" => [build 2/3] RUN make ", frame[2], StringComparison.Ordinal);
        Assert.EndsWith(" 3.2s", frame[2], StringComparison.Ordinal);
        // The last six lines: five whole ones and the partial one, control sequences removed.
        Assert.Equal(
            [" => => # output line 4", " => => # output line 5", " => => # output line 6", " => => # output line 7", " => => # output line 8", " => => # colored partial"],
            frame[3..]);
        Assert.All(frame, line => Assert.True(line.Length <= 79, line));
    }

    [Fact]
    public void FinishedStepCollapsesToOneLineWithItsDuration()
    {
        var t = new Timeline();
        var view = new TtyBuildView(Timeline.Start);
        view.Apply(t.Running(1, "[build 1/1] RUN make"));
        view.Apply(t.Log(1, "a\nb\nc\n", 0.1));
        view.Apply(t.Progress(1, "downloading", 512, 2048));
        Assert.Equal(6, view.Frame(t.Now, 80, 40, null).Count); // header, step, progress item, three lines

        view.Apply(t.Advance(2).Done(1, "[build 1/1] RUN make", 1.96));
        var frame = Texts(view.Frame(t.Now, 80, 40, null));
        Assert.Equal(2, frame.Length);
        Assert.StartsWith(" => [build 1/1] RUN make ", frame[1], StringComparison.Ordinal);
        Assert.EndsWith(" 2.0s", frame[1], StringComparison.Ordinal);
        Assert.Equal("[+] Building 2.0s (1/1)", frame[0]);
    }

    [Fact]
    public void LiveFrameFitsTheScreenKeepingRunningSteps()
    {
        var t = new Timeline();
        var view = new TtyBuildView(Timeline.Start);
        for (var n = 1; n <= 20; n++)
        {
            view.Apply(t.Done(n, $"done step {n}", 0.1));
        }
        view.Apply(t.Running(21, "running step"));
        view.Apply(t.Log(21, "1\n2\n3\n4\n5\n6\n", 0.1));
        var frame = Texts(view.Frame(t.Now, 60, 6, null));
        Assert.Equal(5, frame.Length);
        Assert.Equal("[+] Building 0.0s (20/21)", frame[0]);
        Assert.StartsWith(" => running step", frame[1], StringComparison.Ordinal);
        Assert.Equal([" => => # 4", " => => # 5", " => => # 6"], frame[2..]);

        // The final frame shows every step, whatever the height.
        var final = Texts(view.Frame(t.Now, 60, 6, BuildOutcomeKind.Canceled));
        Assert.Equal(22, final.Length);
    }

    [Fact]
    public void LongNamesAreCutToTheWidth()
    {
        var t = new Timeline();
        var view = new TtyBuildView(Timeline.Start);
        view.Apply(t.Running(1, "[build 1/1] RUN " + new string('x', 200)));
        view.Apply(t.Log(1, new string('y', 200) + "\n", 0.1));
        var frame = Texts(view.Frame(t.Now, 40, 20, null));
        Assert.All(frame, line => Assert.True(line.Length <= 39, line));
        Assert.EndsWith(" 0.0s", frame[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FinalRenderShowsEveryStepOnceWithWarningsAndFailure()
    {
        var console = new TestConsole().Width(100).Height(10);
        var t = new Timeline();
        var clock = new ManualTime(Timeline.Start);
        var failure = new StepFailure("process \"/bin/sh -c make\" did not complete successfully: exit code: 2")
        {
            ExitCode = 2,
            LastLines = ["make: *** [all] Error 2"],
            LogPath = "/data/logs/3.log",
        };
        await using var renderer = new TtyProgressRenderer(console, clock, live: false);
        renderer.Report(t.Running(1, "[internal] load build definition from Dockerfile"));
        renderer.Report(t.Done(1, "[internal] load build definition from Dockerfile", 0.05));
        renderer.Report(t.Cached(2, "[build 1/3] FROM busybox"));
        renderer.Report(t.Running(3, "[build 2/3] RUN make"));
        renderer.Report(t.Log(3, "hidden once done\n", 0.1));
        renderer.Report(t.Warning("careful: " + new string('w', 150)));
        renderer.Report(t.Advance(1.5).Failed(3, "[build 2/3] RUN make", failure, 1.5));
        renderer.Report(t.Canceled(4, "[other 1/1] RUN sleep 5"));
        clock.Now = t.Now;
        await renderer.FinishAsync(BuildOutcome.Failed(failure));

        var lines = console.Output.Split('\n');
        Assert.Equal("[+] Building 1.5s (4/4) FAILED", lines[0].TrimEnd());
        Assert.Matches(@"^ => \[internal\] load build definition from Dockerfile +0\.1s$", lines[1].TrimEnd());
        Assert.Matches(@"^ => CACHED \[build 1/3\] FROM busybox +0\.0s$", lines[2].TrimEnd());
        Assert.Matches(@"^ => ERROR \[build 2/3\] RUN make +1\.5s$", lines[3].TrimEnd());
        Assert.Matches(@"^ => CANCELED \[other 1/1\] RUN sleep 5 +0\.0s$", lines[4].TrimEnd());
        Assert.DoesNotContain("hidden once done", console.Output);
        // The summary and report are not wrapped at the screen width.
        Assert.Contains(" 1 warning found:\n - careful: " + new string('w', 150) + "\n", console.Output);
        Assert.Contains("error: [build 2/3] RUN make failed: exit code 2\n", console.Output);
        Assert.Contains("   make: *** [all] Error 2\n", console.Output);
        Assert.Contains(" full log: /data/logs/3.log\n", console.Output);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(console.Output, @"\[\+\] Building"));
    }

    [Fact]
    public async Task LiveLoopDrawsWhileRunningAndTheFinalStateOnce()
    {
        var console = new TestConsole().Width(80).Height(20);
        var t = new Timeline();
        await using var renderer = new TtyProgressRenderer(console, TimeProvider.System, live: true);
        renderer.Report(t.Running(1, "[build 1/1] RUN make"));
        renderer.Report(t.Log(1, "working\n", 0.1));
        await WaitForFrameAsync(renderer, version: 2);
        renderer.Report(t.Done(1, "[build 1/1] RUN make", 0.5));
        await renderer.FinishAsync(BuildOutcome.Succeeded);
        // The console is read only once the render loop stopped: TestConsole is not thread-safe.
        Assert.Contains(" => => # working", console.Output);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(console.Output, "FINISHED"));
        Assert.EndsWith(" 0.5s\n", console.Output.Replace("\r", ""), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportFromManyThreadsLosesNothing()
    {
        const int threads = 8;
        const int linesEach = 500;
        var console = new TestConsole().Width(120).Height(100);
        var t = new Timeline();
        await using var renderer = new TtyProgressRenderer(console, TimeProvider.System, live: true);
        await Parallel.ForAsync(1, threads + 1, (vertex, _) =>
        {
            renderer.Report(t.Running(vertex, $"step {vertex}"));
            for (var i = 0; i < linesEach; i++)
            {
                renderer.Report(t.Log(vertex, $"line {i}\n", 0));
            }
            renderer.Report(t.Done(vertex, $"step {vertex}", 1));
            return ValueTask.CompletedTask;
        });
        await renderer.FinishAsync(BuildOutcome.Succeeded);
        var final = console.Output[console.Output.LastIndexOf("[+] Building", StringComparison.Ordinal)..];
        Assert.Contains($"({threads}/{threads}) FINISHED", final);
        for (var vertex = 1; vertex <= threads; vertex++)
        {
            Assert.Matches($@" => step {vertex} +1\.0s", final);
        }
    }
}

public sealed class TtyRedrawTests
{
    [Fact]
    public async Task EachFrameReplacesThePreviousOneInPlace()
    {
        var console = new TestConsole().Width(80).Height(20).EmitAnsiSequences();
        var t = new Timeline();
        await using var renderer = new TtyProgressRenderer(console, TimeProvider.System, live: true);
        renderer.Report(t.Running(1, "[build 1/1] RUN make"));
        renderer.Report(t.Log(1, "working\n", 0.1));
        await TtyProgressRendererTests.WaitForFrameAsync(renderer, version: 2);
        renderer.Report(t.Done(1, "[build 1/1] RUN make", 0.5));
        await renderer.FinishAsync(BuildOutcome.Succeeded);
        var output = console.Output;
        // The live frame had three lines (header, step, output); the final frame starts by going
        // back up over them and erasing to the end of the screen.
        var redraw = output.LastIndexOf("\r\x1b[3A\x1b[0J", StringComparison.Ordinal);
        Assert.True(redraw >= 0, output.Replace("\x1b", "ESC"));
        Assert.Contains("FINISHED", output[redraw..]);
        Assert.DoesNotContain("working", output[redraw..]);
    }
}

public sealed class TtyDisposeTests
{
    [Fact]
    public async Task DisposedBeforeAnythingHappenedPrintsNothing()
    {
        var console = new TestConsole().Width(80).Height(20);
        var renderer = new TtyProgressRenderer(console, TimeProvider.System, live: false);
        await renderer.DisposeAsync();
        Assert.Equal("", console.Output);
    }
}
