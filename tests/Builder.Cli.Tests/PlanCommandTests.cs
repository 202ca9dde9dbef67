using System.Text.Json;

namespace Builder.Cli.Tests;

public sealed class PlanCommandTests
{
    private const string MultiStage = """
        ARG BASE=busybox
        FROM ${BASE} AS build
        WORKDIR /src
        COPY . .
        RUN make
        FROM ${BASE} AS unused
        RUN echo unused
        FROM ${BASE}
        COPY --from=build /src/out /out
        CMD ["/out"]
        """;

    [Fact]
    public void PlanPrintsOpsWithDigestsInputsAndStageConfigs()
    {
        using var temp = new TempDir();
        temp.Write("Dockerfile", MultiStage);
        var result = CliRunner.Run("plan", temp.Path);
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        var root = doc.RootElement;
        var ops = root.GetProperty("ops").EnumerateArray().ToList();
        var digests = ops.Select(o => o.GetProperty("digest").GetString()!).ToList();
        Assert.Equal(digests.Count, digests.Distinct().Count());
        Assert.Equal(root.GetProperty("root").GetString(), digests[^1]);
        foreach (var op in ops)
        {
            Assert.Matches("^sha256:[0-9a-f]{64}$", op.GetProperty("digest").GetString()!);
            // Inputs come before the ops that read them.
            foreach (var input in op.GetProperty("definition").GetProperty("inputs").EnumerateArray())
            {
                Assert.True(digests.IndexOf(input.GetProperty("digest").GetString()!) < digests.IndexOf(op.GetProperty("digest").GetString()!));
            }
        }
        Assert.Contains(ops, o => o.GetProperty("kind").GetString() == "exec" && o.GetProperty("definition").GetProperty("args")[2].GetString() == "make");
        Assert.DoesNotContain(ops, o => o.GetProperty("name").GetString()!.Contains("unused", StringComparison.Ordinal));
        var stages = root.GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("index").GetInt32()).ToList();
        Assert.Equal([0, 2], stages);
        Assert.Equal("/out", root.GetProperty("image").GetProperty("config").GetProperty("Cmd")[0].GetString());
    }

    [Fact]
    public void PlanHonoursTargetAndBuildArgs()
    {
        var result = CliRunner.RunWithInput(MultiStage, "plan", "-f", "-", "--target", "build", "--build-arg", "BASE=alpine:3.19", Path.GetTempPath());
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Out);
        Assert.Equal("build", doc.RootElement.GetProperty("target").GetString());
        var source = doc.RootElement.GetProperty("ops")[0].GetProperty("definition");
        Assert.Equal("docker.io/library/alpine:3.19", source.GetProperty("identifier").GetString());
    }

    [Fact]
    public void PlanIsDeterministic()
    {
        var a = CliRunner.RunWithInput(MultiStage, "plan", "-f", "-", Path.GetTempPath());
        var b = CliRunner.RunWithInput(MultiStage, "plan", "-f", "-", Path.GetTempPath());
        Assert.Equal(a.Out, b.Out);
    }

    [Fact]
    public void UnusedBuildArgIsWarnedOnStandardError()
    {
        var result = CliRunner.RunWithInput("FROM busybox\n", "plan", "-f", "-", "--build-arg", "NOPE=1", Path.GetTempPath());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning:", result.Error);
        Assert.Contains("NOPE", result.Error);
    }

    [Fact]
    public void BuildArgWithoutValueComesFromTheEnvironment()
    {
        Environment.SetEnvironmentVariable("BUILDER_TEST_TAG", "from-env");
        try
        {
            var result = CliRunner.RunWithInput("ARG BUILDER_TEST_TAG\nFROM busybox:$BUILDER_TEST_TAG\n", "plan", "-f", "-", "--build-arg", "BUILDER_TEST_TAG", Path.GetTempPath());
            Assert.Contains("docker.io/library/busybox:from-env", result.Out);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUILDER_TEST_TAG", null);
        }
    }

    [Fact]
    public void DockerignoreNextToTheDockerfileWins()
    {
        using var temp = new TempDir();
        temp.Write("ctx/.dockerignore", "general\n");
        var dockerfile = temp.Write("build/app.Dockerfile", "FROM busybox\nCOPY . /\n");
        temp.Write("build/app.Dockerfile.dockerignore", "# specific\nspecific\n!specific/keep\n");
        var result = CliRunner.Run("plan", "-f", dockerfile, Path.Combine(temp.Path, "ctx"));
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\"local.exclude\":\"specific\\n!specific/keep\"", result.Out);

        var general = CliRunner.Run("plan", "-f", temp.Write("ctx/Dockerfile", "FROM busybox\nCOPY . /\n"), Path.Combine(temp.Path, "ctx"));
        Assert.Contains("\"local.exclude\":\"general\"", general.Out);
    }

    [Fact]
    public void BadDockerignoreIsAClearError()
    {
        using var temp = new TempDir();
        temp.Write(".dockerignore", "ok\nbad[\n");
        temp.Write("Dockerfile", "FROM busybox\n");
        var result = CliRunner.Run("plan", temp.Path);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(".dockerignore", result.Error);
        Assert.Contains("line 2", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Fact]
    public void MissingContextIsAUsageError()
    {
        var result = CliRunner.RunWithInput("FROM busybox\n", "plan", "-f", "-", "/nonexistent/context");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("not a directory", result.Error);
    }
}
