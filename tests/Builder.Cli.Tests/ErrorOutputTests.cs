namespace Builder.Cli.Tests;

/// <summary>Bad Dockerfiles give one screen: FILE:LINE: cause, the numbered source lines, exit 1, no stack trace.</summary>
public sealed class ErrorOutputTests
{
    [Theory]
    [InlineData("FROM busybox\nRUNN echo hi\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)", " >>> 2 | RUNN echo hi")]
    [InlineData("FROM busybox\nCOPY --bogus a b\n", "Dockerfile:2: COPY: unknown flag --bogus", " >>> 2 | COPY --bogus a b")]
    [InlineData("FROM busybox AS a\nFROM busybox AS a\n", "Dockerfile:2: duplicate stage name \"a\"", " >>> 2 | FROM busybox AS a")]
    [InlineData("ARG V\nFROM $V\n", "Dockerfile:2: FROM $V: the base image name is empty", " >>> 2 | FROM $V")]
    [InlineData("FROM busybox\nCMD [\"a\",\n", "Dockerfile:2: CMD: malformed JSON", " >>> 2 | CMD [\"a\",")]
    public void ParseAndPlanErrorsAreOneScreen(string dockerfile, string first, string sourceLine)
    {
        var result = CliRunner.RunWithInput(dockerfile, "plan", "-f", "-", Path.GetTempPath());
        Assert.Equal(1, result.ExitCode);
        var lines = result.Error.TrimEnd('\n').Split('\n');
        Assert.StartsWith("error: " + first, lines[0], StringComparison.Ordinal);
        Assert.Equal(sourceLine, lines[1]);
        Assert.True(lines.Length <= 12, "error output should fit one screen");
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Empty(result.Out);
    }

    [Fact]
    public void MultiLineInstructionShowsEveryLine()
    {
        var result = CliRunner.RunWithInput("FROM busybox\nRUN --bad \\\n  echo one \\\n  two\n", "plan", "-f", "-", Path.GetTempPath());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(" >>> 2 | RUN --bad \\", result.Error);
        Assert.Contains(" >>> 3 |   echo one \\", result.Error);
        Assert.Contains(" >>> 4 |   two", result.Error);
    }

    [Fact]
    public void FileNameIsThePathGiven()
    {
        using var temp = new TempDir();
        var file = temp.Write("sub/Build.dockerfile", "FROM busybox\nNOPE\n");
        // Unknown keywords pass the parser; the typed layer (plan) reports them.
        Assert.Equal(0, CliRunner.Run("parse", "-f", file, "--dump").ExitCode);
        var plan = CliRunner.Run("plan", "-f", file, temp.Path);
        Assert.StartsWith($"error: {file}:2: unknown instruction: NOPE", plan.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TargetErrorsSuggestTheClosestStage()
    {
        var result = CliRunner.RunWithInput("FROM busybox AS builder\nFROM busybox\n", "plan", "-f", "-", "--target", "buidler", Path.GetTempPath());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("did you mean \"builder\"", result.Error);
    }

    [Fact]
    public void EmptyDockerfileIsAnError()
    {
        var result = CliRunner.RunWithInput("\n# nothing\n", "plan", "-f", "-", Path.GetTempPath());
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("empty", result.Error);
    }
}
