using Builder.Cli.Progress;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

public sealed class ProgressModeTests
{
    [Theory]
    [InlineData("auto", nameof(ProgressMode.Auto))]
    [InlineData("tty", nameof(ProgressMode.Tty))]
    [InlineData("plain", nameof(ProgressMode.Plain))]
    [InlineData("quiet", nameof(ProgressMode.Quiet))]
    [InlineData("rawjson", nameof(ProgressMode.RawJson))]
    [InlineData("PLAIN", nameof(ProgressMode.Plain))]
    public void ParsesEveryMode(string text, string expected) => Assert.Equal(expected, ProgressModes.Parse(text).ToString());

    [Fact]
    public void WrongModeListsTheValidOnes()
    {
        var error = Assert.Throws<UsageException>(() => ProgressModes.Parse("fancy"));
        Assert.Equal("invalid progress mode \"fancy\": use one of auto, tty, plain, quiet, rawjson", error.Message);
        Assert.False(ProgressModes.TryParse("tty ", out _));
    }

    [Fact]
    public void NoValueIsAutoTheDefault()
    {
        Assert.True(ProgressModes.TryParse(null, out var mode));
        Assert.Equal(ProgressMode.Auto, mode);
        Assert.Equal(ProgressMode.Auto, ProgressModes.Parse(""));
    }

    [Theory]
    [InlineData(true, "xterm-256color", "tty")]
    [InlineData(true, null, "tty")]
    [InlineData(true, "dumb", "plain")]
    [InlineData(false, "xterm", "plain")]
    public void AutoIsTtyOnlyOnARealTerminal(bool terminal, string? term, string expected) =>
        Assert.Equal(ProgressModes.Parse(expected), ProgressModes.Resolve(ProgressMode.Auto, terminal, term));

    [Fact]
    public void ExplicitModesAreKept()
    {
        Assert.Equal(ProgressMode.Tty, ProgressModes.Resolve(ProgressMode.Tty, errorIsTerminal: false, "dumb"));
        Assert.Equal(ProgressMode.Plain, ProgressModes.Resolve(ProgressMode.Plain, errorIsTerminal: true, "xterm"));
    }

    [Theory]
    [InlineData("auto", false, typeof(PlainProgressRenderer))]
    [InlineData("auto", true, typeof(TtyProgressRenderer))]
    [InlineData("plain", true, typeof(PlainProgressRenderer))]
    [InlineData("quiet", true, typeof(QuietProgressRenderer))]
    [InlineData("rawjson", false, typeof(RawJsonProgressRenderer))]
    public async Task FactoryMakesTheRendererForTheMode(string mode, bool terminal, Type expected)
    {
        var error = new StringWriter();
        await using var renderer = ProgressRendererFactory.Create(ProgressModes.Parse(mode), error, terminal, "xterm", TimeProvider.System);
        Assert.IsType(expected, renderer);
    }

    [Fact]
    public async Task QuietPrintsNoProgressButStillExplainsAFailure()
    {
        var error = new StringWriter();
        var time = new Timeline();
        var failure = new StepFailure("process did not complete successfully") { ExitCode = 1 };
        await using var renderer = ProgressRendererFactory.Create(ProgressMode.Quiet, error, false, null, TimeProvider.System);
        renderer.Report(time.Running(1, "[build 1/1] RUN false"));
        renderer.Report(time.Log(1, "some output\n", 0.1));
        Assert.Equal("", error.ToString());
        renderer.Report(time.Failed(1, "[build 1/1] RUN false", failure));
        await renderer.FinishAsync(BuildOutcome.Failed(failure));
        Assert.StartsWith("error: [build 1/1] RUN false failed: exit code 1\n", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("#1", error.ToString());
    }
}
