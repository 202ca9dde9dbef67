using System.Text.RegularExpressions;
using Builder.Cli.Progress;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

public sealed class PlainProgressRendererTests
{
    private static async Task<string> RenderAsync(Action<IProgressRenderer, Timeline> events, BuildOutcome? outcome = null)
    {
        var output = new StringWriter { NewLine = "\n" };
        var time = new Timeline();
        await using var renderer = new PlainProgressRenderer(output, new ManualTime(Timeline.Start));
        events(renderer, time);
        await renderer.FinishAsync(outcome ?? BuildOutcome.Succeeded);
        return output.ToString();
    }

    [Fact]
    public async Task StartLogDoneAndCachedInBuildKitFormat()
    {
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(1, "[internal] load build definition from Dockerfile"));
            r.Report(t.Advance(0.1).Done(1, "[internal] load build definition from Dockerfile", 0.1));
            r.Report(t.Cached(2, "[build 1/3] FROM docker.io/library/busybox:latest"));
            r.Report(t.Running(3, "[build 2/3] RUN make"));
            r.Report(t.Advance(0.5).Log(3, "hello\nwor", 0.512));
            r.Report(t.Log(3, "ld\n", 0.6));
            r.Report(t.Log(3, "late\n", 12.3456));
            r.Report(t.Log(3, "later\n", 123.45));
            r.Report(t.Done(3, "[build 2/3] RUN make", 0.3));
        });
        Assert.Equal(
            """
            #1 [internal] load build definition from Dockerfile
            #1 DONE 0.1s

            #2 [build 1/3] FROM docker.io/library/busybox:latest
            #2 CACHED

            #3 [build 2/3] RUN make
            #3 0.512 hello
            #3 0.512 world
            #3 12.35 late
            #3 123.5 later
            #3 DONE 0.3s

            """.Replace("\r\n", "\n"),
            text);
    }

    [Fact]
    public async Task PartialLineIsFlushedWhenTheVertexEnds()
    {
        var failure = new StepFailure("process \"/bin/sh -c make\" did not complete successfully: exit code: 2") { ExitCode = 2 };
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(4, "[build 3/3] RUN make"));
            r.Report(t.Log(4, "compiling", 0.1));
            r.Report(t.Log(4, "... failed", 0.2));
            r.Report(t.Failed(4, "[build 3/3] RUN make", failure));
            r.Report(t.Running(5, "[other 2/2] RUN sleep 10"));
            r.Report(t.Canceled(5, "[other 2/2] RUN sleep 10"));
        }, BuildOutcome.Failed(failure));
        var lines = text.Split('\n');
        Assert.Equal(
            [
                "#4 [build 3/3] RUN make",
                "#4 0.100 compiling... failed",
                "#4 ERROR: process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
                "",
                "#5 [other 2/2] RUN sleep 10",
                "#5 CANCELED",
                "",
                "error: [build 3/3] RUN make failed: exit code 2",
            ],
            lines[..8]);
    }

    [Fact]
    public async Task DoneWithoutDurationUsesTheTimeSinceStart()
    {
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(1, "step"));
            r.Report(t.Advance(1.26).Advance(0).Done(1, "step", 0) with { Duration = null });
        });
        Assert.Contains("#1 DONE 1.3s\n", text);
    }

    [Fact]
    public async Task OutputOfAnotherVertexWaitsUntilTheCurrentOneEnds()
    {
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(1, "[a 1/1] RUN a"));
            r.Report(t.Running(2, "[b 1/1] RUN b"));
            r.Report(t.Log(1, "a1\n", 0.1));
            r.Report(t.Log(2, "b1\n", 0.1));
            r.Report(t.Log(1, "a2\n", 0.2));
            r.Report(t.Log(2, "b2\n", 0.2));
            r.Report(t.Done(1, "[a 1/1] RUN a", 1));
            r.Report(t.Log(2, "b3\n", 0.3));
            r.Report(t.Done(2, "[b 1/1] RUN b", 2));
        });
        Assert.Equal(
            "#1 [a 1/1] RUN a\n#1 0.100 a1\n#1 0.200 a2\n#1 DONE 1.0s\n\n" +
            "#2 [b 1/1] RUN b\n#2 0.100 b1\n#2 0.200 b2\n#2 0.300 b3\n#2 DONE 2.0s\n",
            text);
    }

    [Fact]
    public async Task AVertexHoldingTheScreenTooLongGivesWay()
    {
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(1, "A"));
            r.Report(t.Log(1, "a1\n", 0.1));
            r.Report(t.Running(2, "B"));
            r.Report(t.Log(2, "b1\n", 0.1));
            // The same vertex keeps talking past the anti-flicker time: the other one gets its turn.
            r.Report(t.Advance(6).Log(1, "a2\n", 6.1));
            r.Report(t.Done(1, "A", 6.2));
            r.Report(t.Done(2, "B", 6.2));
        });
        Assert.Equal(
            "#1 A\n#1 0.100 a1\n#1 6.100 a2\n#1 ...\n\n" +
            "#2 B\n#2 0.100 b1\n#2 ...\n\n" +
            "#1 A\n#1 DONE 6.2s\n\n" +
            "#2 B\n#2 DONE 6.2s\n",
            text);
    }

    [Fact]
    public async Task WarningsArePrintedAndSummarised()
    {
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Warning("JSONArgsRecommended: JSON arguments recommended for CMD (line 4)"));
            r.Report(t.Running(1, "step"));
            r.Report(t.Warning("base image busybox:latest used from the local copy: registry unreachable"));
            r.Report(t.Done(1, "step", 0.1));
        });
        Assert.Equal(
            "WARN: JSONArgsRecommended: JSON arguments recommended for CMD (line 4)\n\n" +
            "#1 step\n#1 ...\n\n" +
            "WARN: base image busybox:latest used from the local copy: registry unreachable\n\n" +
            "#1 step\n#1 DONE 0.1s\n\n" +
            " 2 warnings found:\n" +
            " - JSONArgsRecommended: JSON arguments recommended for CMD (line 4)\n" +
            " - base image busybox:latest used from the local copy: registry unreachable\n",
            text);
    }

    [Fact]
    public async Task ProgressIsRateLimited()
    {
        var text = await RenderAsync((r, t) =>
        {
            r.Report(t.Running(1, "[internal] load build context"));
            for (var current = 0; current < 1000; current += 10)
            {
                r.Report(t.Progress(1, "transferring context:", current, 1000));
            }
            r.Report(t.Advance(0.5).Progress(1, "transferring context:", 1000, 1000, completed: true));
            r.Report(t.Done(1, "[internal] load build context", 0.5));
        });
        var lines = text.Split('\n').Where(l => l.StartsWith("#1 transferring context:", StringComparison.Ordinal)).ToList();
        // 0, then every 5% (50, 100, ..., 950), then the completed one.
        Assert.Equal(21, lines.Count);
        Assert.Equal("#1 transferring context: 0B / 1000B", lines[0]);
        Assert.Equal("#1 transferring context: 1000B / 1000B 0.5s done", lines[^1]);
    }

    [Fact]
    public void ByteSizesAreFormattedLikeBuildKit()
    {
        Assert.Equal("512B", ByteSize.Format(512));
        Assert.Equal("2.11kB", ByteSize.Format(2160));
        Assert.Equal("12.58MB", ByteSize.Format(13_190_000));
        Assert.Equal("1.00GB", ByteSize.Format(1L << 30));
    }

    [Fact]
    public async Task ReportFromManyThreadsLosesNothing()
    {
        const int threads = 8;
        const int linesEach = 500;
        var output = new StringWriter { NewLine = "\n" };
        var time = new Timeline();
        await using var renderer = new PlainProgressRenderer(output);
        await Parallel.ForAsync(1, threads + 1, (vertex, _) =>
        {
            renderer.Report(time.Running(vertex, $"step {vertex}"));
            for (var i = 0; i < linesEach; i++)
            {
                renderer.Report(time.Log(vertex, $"line {i}\n", 0.001 * i));
            }
            renderer.Report(time.Done(vertex, $"step {vertex}", 1));
            return ValueTask.CompletedTask;
        });
        await renderer.FinishAsync(BuildOutcome.Succeeded);
        var text = output.ToString();
        var logLines = Regex.Matches(text, @"^#\d+ \d+\.\d+ line \d+$", RegexOptions.Multiline);
        Assert.Equal(threads * linesEach, logLines.Count);
        for (var vertex = 1; vertex <= threads; vertex++)
        {
            Assert.Contains($"#{vertex} DONE 1.0s\n", text);
            // Per vertex, lines keep their order.
            var numbers = Regex.Matches(text, $@"^#{vertex} \d+\.\d+ line (\d+)$", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value)).ToList();
            Assert.Equal(Enumerable.Range(0, linesEach), numbers);
        }
    }

    [Fact]
    public async Task ReportsAfterFinishAreIgnored()
    {
        var output = new StringWriter { NewLine = "\n" };
        var time = new Timeline();
        var renderer = new PlainProgressRenderer(output);
        renderer.Report(time.Running(1, "step"));
        renderer.Report(time.Done(1, "step", 0.1));
        await renderer.FinishAsync(BuildOutcome.Succeeded);
        renderer.Report(time.Running(2, "late"));
        await renderer.DisposeAsync();
        Assert.Equal("#1 step\n#1 DONE 0.1s\n", output.ToString());
    }
}
