using Builder.Cli.Progress;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

public sealed class FailureReportTests
{
    private static StepFailure RunFailure(int outputLines) => new("process \"/bin/sh -c make all\" did not complete successfully: exit code: 2")
    {
        SourceFile = "Dockerfile",
        StartLine = 12,
        EndLine = 13,
        SourceLines = ["RUN make \\", "    all"],
        Command = ["/bin/sh", "-c", "make all"],
        ExitCode = 2,
        LastLines = Enumerable.Range(1, outputLines).Select(i => $"output {i}").ToList(),
        LogPath = "/var/lib/builder/logs/3f2a9c1b.log",
        KeptStateId = "3f2a9c1b",
    };

    [Fact]
    public void ProcessFailureIsOneScreenWithTheLastTwentyLines()
    {
        var text = FailureReport.Format(RunFailure(30), "[build 3/5] RUN make all");
        var expected = new List<string>
        {
            "error: [build 3/5] RUN make all failed: exit code 2",
            " --> Dockerfile:12-13",
            "   12 | RUN make \\",
            "   13 |     all",
            " last 20 lines of output:",
        };
        expected.AddRange(Enumerable.Range(11, 20).Select(i => $"   output {i}"));
        expected.Add(" full log: /var/lib/builder/logs/3f2a9c1b.log");
        expected.Add(" the failed step's state is kept: builder debug shell 3f2a9c1b");
        Assert.Equal(expected, text.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void FewerLinesAreShownAsTheyAre()
    {
        var text = FailureReport.Format(RunFailure(2), "[build 3/5] RUN make all");
        Assert.Contains(" last 2 lines of output:\n   output 1\n   output 2\n", text);
        Assert.Contains(" (the step printed no output)", FailureReport.Format(RunFailure(0), "x"));
    }

    [Theory]
    [InlineData(null, 9, false, "killed by signal 9 (SIGKILL)")]
    [InlineData(137, null, true, "out of memory (killed by the kernel's OOM killer)")]
    [InlineData(null, 64, false, "killed by signal 64")]
    [InlineData(127, null, false, "exit code 127")]
    public void CauseNamesExitSignalOrOom(int? exit, int? signal, bool oom, string cause)
    {
        var failure = RunFailure(1) with { ExitCode = exit, Signal = signal, OomKilled = oom };
        Assert.StartsWith($"error: [build 3/5] RUN make all failed: {cause}\n", FailureReport.Format(failure, "[build 3/5] RUN make all"), StringComparison.Ordinal);
    }

    [Fact]
    public void OtherFailureIsOneParagraphWithFileAndLine()
    {
        var failure = new StepFailure("\"app.js\" not found in the build context; closest: src/app.js, app.json")
        {
            SourceFile = "Dockerfile",
            StartLine = 7,
            EndLine = 7,
            SourceLines = ["COPY app.js /app/"],
        };
        Assert.Equal(
            "error: Dockerfile:7: [build 2/3] COPY app.js /app/: \"app.js\" not found in the build context; closest: src/app.js, app.json\n" +
            "   7 | COPY app.js /app/\n",
            FailureReport.Format(failure, "[build 2/3] COPY app.js /app/"));
    }

    [Fact]
    public void FailureWithOnlyAMessageIsOneLine()
    {
        Assert.Equal(
            "error: pulling docker.io/library/nosuch:latest: repository not found or access denied\n",
            FailureReport.Format(new StepFailure("pulling docker.io/library/nosuch:latest: repository not found or access denied"), null));
    }

    [Fact]
    public void OutputCannotDrawOnTheTerminal()
    {
        var failure = RunFailure(0) with { LastLines = ["\x1b[31mred\x1b[0m\x1b]0;title\a done\tx", "10%\r50%\r100%\r"] };
        Assert.Contains("   red done        x\n   100%\n", FailureReport.Format(failure, "step"));
    }
}
