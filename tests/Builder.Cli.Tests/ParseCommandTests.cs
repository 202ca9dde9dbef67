using System.Text.Json;
using Builder.TestSupport;

namespace Builder.Cli.Tests;

public sealed class ParseCommandTests
{
    [Fact]
    public void VersionPrintsTheToolAndVersion()
    {
        var result = CliRunner.Run("--version");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^builder \d+\.\d+\.\d+\n$", result.Out);
    }

    [Fact]
    public void DumpMatchesAConformanceResult()
    {
        var dir = SharedData.Require("conformance/dockerfile-parser/testfiles/health");
        var result = CliRunner.Run("parse", "--dump", "-f", Path.Combine(dir, "Dockerfile"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(dir, "result")), result.Out);
    }

    [Fact]
    public void PositionalFileAndStdinWork()
    {
        using var temp = new TempDir();
        var file = temp.Write("Dockerfile", "FROM busybox\nRUN echo hi\n");
        Assert.Equal("(from \"busybox\")\n(run \"echo hi\")\n", CliRunner.Run("parse", file, "--dump").Out);
        Assert.Equal("(from \"scratch\")\n", CliRunner.RunWithInput("FROM scratch\n", "parse", "-f", "-", "--dump").Out);
    }

    [Fact]
    public void JsonOutputCarriesLinesAndHeredocs()
    {
        var result = CliRunner.RunWithInput("FROM busybox\nRUN <<EOF\necho hi\nEOF\n", "parse", "-f", "-");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var run = doc.RootElement.GetProperty("instructions")[1];
        Assert.Equal("RUN", run.GetProperty("instruction").GetString());
        Assert.Equal(2, run.GetProperty("lines")[0].GetInt32());
        Assert.Equal(4, run.GetProperty("lines")[1].GetInt32());
        Assert.Equal("echo hi\n", run.GetProperty("heredocs")[0].GetProperty("content").GetString());
    }

    [Fact]
    public void WarningsGoToStandardError()
    {
        var result = CliRunner.RunWithInput("FROM busybox\nRUN echo a \\\n\n  b\n", "parse", "-f", "-", "--dump");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning: Dockerfile:2:", result.Error);
        Assert.Contains("NoEmptyContinuation", result.Error);
        Assert.DoesNotContain("warning", result.Out);
    }

    [Fact]
    public void MissingFileIsAUsageError()
    {
        var result = CliRunner.Run("parse", "-f", "/nonexistent/Dockerfile");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/nonexistent/Dockerfile does not exist", result.Error);
    }

    [Fact]
    public void UnknownCommandOrOptionIsAUsageError()
    {
        Assert.Equal(2, CliRunner.Run("frobnicate").ExitCode);
        Assert.Equal(2, CliRunner.Run("parse", "--bogus").ExitCode);
    }
}
