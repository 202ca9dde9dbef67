using Builder.Frontend.Conversion;
using Builder.Solver.Definition;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

public sealed class StageAndConfigTests
{
    [Fact]
    public void WorkdirIsRelativeToThePreviousOneAndCreatesTheDirectory()
    {
        var result = Convert("FROM busybox\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c/./d\nRUN pwd\n");
        Assert.Equal("/a/c/d", result.Image.Config.WorkingDir);
        Assert.Equal("/a/c/d", result.Exec("pwd").WorkingDir);
        var mkdirs = result.Actions<MkdirAction>().Select(m => m.Path).ToList();
        Assert.Equal(["/a", "/a/b", "/a/c/d"], mkdirs);
        Assert.All(result.Actions<MkdirAction>(), m => Assert.True(m.MakeParents));
    }

    [Fact]
    public void WorkdirIsOwnedByTheCurrentUser()
    {
        var result = Convert("FROM busybox\nUSER app:staff\nWORKDIR /home/app\n");
        var mkdir = Assert.Single(result.Actions<MkdirAction>());
        Assert.Equal(new Ownership("app", "staff"), mkdir.Owner);
    }

    [Fact]
    public void ShellFormUsesShell()
    {
        var result = Convert("FROM busybox\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nRUN echo hi\nCMD run me\nENTRYPOINT exec app\n");
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "echo hi"], result.Exec("echo hi").Args);
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "exec app"], result.Image.Config.Entrypoint);
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "run me"], result.Image.Config.Cmd);
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c"], result.Image.Config.Shell);
    }

    [Fact]
    public void ExecFormIsUsedAsIs()
    {
        var result = Convert("FROM busybox\nRUN [\"/bin/echo\", \"a b\"]\nCMD [\"x\"]\n");
        Assert.Equal(["/bin/echo", "a b"], result.Exec("a b").Args);
        Assert.Equal(["x"], result.Image.Config.Cmd);
    }

    [Fact]
    public void EntrypointClearsInheritedCmdButNotOwnCmd()
    {
        var inherited = Convert("FROM busybox AS base\nCMD [\"base-cmd\"]\nFROM base\nENTRYPOINT [\"ep\"]\n");
        Assert.Null(inherited.Image.Config.Cmd);
        Assert.Equal(["ep"], inherited.Image.Config.Entrypoint);

        var own = Convert("FROM busybox AS base\nCMD [\"base-cmd\"]\nFROM base\nCMD [\"mine\"]\nENTRYPOINT [\"ep\"]\n");
        Assert.Equal(["mine"], own.Image.Config.Cmd);
    }

    [Fact]
    public void OnbuildTriggersAreRecordedAndRunInTheChildStage()
    {
        var result = Convert("""
            FROM busybox AS base
            ONBUILD RUN echo trigger
            ONBUILD ENV FROM_TRIGGER=yes
            RUN echo base
            FROM base
            RUN echo child
            """);
        var baseStage = result.Stages.Single(s => s.Name == "base");
        Assert.Equal(["RUN echo trigger", "ENV FROM_TRIGGER=yes"], baseStage.Image.Config.OnBuild);
        Assert.Null(result.Image.Config.OnBuild);
        Assert.Equal("yes", result.Image.Config.Env!.EnvValue("FROM_TRIGGER"));
        var order = result.Execs().Select(e => e.Args[^1]).ToList();
        Assert.Equal(["echo base", "echo trigger", "echo child"], order);
        Assert.Equal("yes", result.Exec("echo child").Env.EnvValue("FROM_TRIGGER"));
    }

    [Fact]
    public void OnbuildRejectsForbiddenTriggers()
    {
        Assert.Contains("ONBUILD ONBUILD", ConvertFails("FROM busybox\nONBUILD ONBUILD RUN x\n").Message);
        Assert.Contains("FROM", ConvertFails("FROM busybox\nONBUILD FROM alpine\n").Message);
    }

    [Fact]
    public void HealthcheckOptionsAndNone()
    {
        var result = Convert("FROM busybox\nHEALTHCHECK --interval=30s --timeout=1m30s --start-period=5s --start-interval=500ms --retries=4 CMD curl -f http://localhost/\n");
        var health = result.Image.Config.Healthcheck!;
        Assert.Equal(["CMD-SHELL", "curl -f http://localhost/"], health.Test);
        Assert.Equal(30_000_000_000L, health.Interval);
        Assert.Equal(90_000_000_000L, health.Timeout);
        Assert.Equal(5_000_000_000L, health.StartPeriod);
        Assert.Equal(500_000_000L, health.StartInterval);
        Assert.Equal(4, health.Retries);

        var exec = Convert("FROM busybox\nHEALTHCHECK CMD [\"/bin/check\", \"-q\"]\n").Image.Config.Healthcheck!;
        Assert.Equal(["CMD", "/bin/check", "-q"], exec.Test);

        var none = Convert("FROM busybox\nHEALTHCHECK CMD true\nHEALTHCHECK NONE\n").Image.Config.Healthcheck!;
        Assert.Equal(["NONE"], none.Test);
    }

    [Theory]
    [InlineData("HEALTHCHECK --interval=5 CMD true", "duration")]
    [InlineData("HEALTHCHECK --retries=-1 CMD true", "negative")]
    [InlineData("HEALTHCHECK --interval=100us CMD true", "less than 1ms")]
    [InlineData("HEALTHCHECK CMD", "requires a command")]
    [InlineData("HEALTHCHECK PING x", "unknown type")]
    [InlineData("HEALTHCHECK NONE extra", "no other arguments")]
    public void BadHealthchecksFail(string line, string fragment)
    {
        var error = ConvertFails("FROM busybox\n" + line + "\n");
        Assert.Contains(fragment, error.Message);
        Assert.Equal(2, error.StartLine);
    }

    [Fact]
    public void ExposeExpandsRangesAndProtocols()
    {
        var ports = Convert("FROM busybox\nEXPOSE 80 53/udp 8000-8002/tcp\n").Image.Config.ExposedPorts!.Keys.Order().ToList();
        Assert.Equal(["53/udp", "80/tcp", "8000/tcp", "8001/tcp", "8002/tcp"], ports);
        Assert.Contains("invalid", ConvertFails("FROM busybox\nEXPOSE 80/xyz\n").Message);
        Assert.Contains("invalid port", ConvertFails("FROM busybox\nEXPOSE http\n").Message);
    }

    [Fact]
    public void VolumesLabelsMaintainerStopsignalUser()
    {
        var result = Convert("FROM busybox\nVOLUME [\"/a\", \"/b\"]\nVOLUME /c /d\nLABEL a=1 \"b c\"=\"d e\"\nMAINTAINER Someone <s@example.com>\nSTOPSIGNAL 9\nUSER 1000:1000\n");
        var config = result.Image.Config;
        Assert.Equal(["/a", "/b", "/c", "/d"], config.Volumes!.Keys.Order());
        Assert.Equal("d e", config.Labels!["b c"]);
        Assert.Equal("Someone <s@example.com>", result.Image.Author);
        Assert.Equal("9", config.StopSignal);
        Assert.Equal("1000:1000", config.User);
        Assert.Contains("invalid signal", ConvertFails("FROM busybox\nSTOPSIGNAL SIGNOPE\n").Message);
    }

    [Fact]
    public void LabelsFromOptionsAreAddedToTheFinalImage()
    {
        var result = Convert("FROM busybox\nLABEL a=1\n", new ConvertOptions { Labels = Args(("b", "2"), ("a", "override")) });
        Assert.Equal("override", result.Image.Config.Labels!["a"]);
        Assert.Equal("2", result.Image.Config.Labels!["b"]);
    }

    [Fact]
    public void HistoryMarksEmptyLayers()
    {
        var result = Convert("FROM busybox\nENV A=1\nRUN echo\nCOPY a /a\nCMD [\"x\"]\n");
        var history = result.Image.History.Select(h => (h.CreatedBy, h.EmptyLayer == true)).ToList();
        Assert.Equal(
            [("ENV A=1", true), ("RUN /bin/sh -c echo # buildkit", false), ("COPY a /a # buildkit", false), ("CMD [\"x\"]", true)],
            history);
    }

    [Fact]
    public void RunHistoryRecordsBuildArgs()
    {
        var result = Convert("FROM busybox\nARG VERSION=1.2\nRUN make\n");
        Assert.Equal("RUN |1 VERSION=1.2 /bin/sh -c make # buildkit", result.Image.History[^1].CreatedBy);
    }

    [Fact]
    public void RunHistoryListsEveryArgInScopeInFirstDeclaredOrder()
    {
        // As BuildKit's runCommandString: unset ARGs show empty, ENV shadows, a redeclared ARG keeps its place.
        var result = Convert("FROM busybox\nARG A=1\nARG UNSET\nARG B=2\nENV B=env\nARG A=3\nRUN make\n");
        Assert.Equal("RUN |3 A=3 UNSET= B=env /bin/sh -c make # buildkit", result.Image.History[^1].CreatedBy);
        Assert.DoesNotContain("UNSET=", result.Exec("make").Env);
    }

    [Fact]
    public void RunHistoryNeverChangesTheOpDigest()
    {
        var withArg = Convert("FROM busybox\nARG UNSET\nRUN make\n");
        var without = Convert("FROM busybox\nRUN make\n");
        Assert.NotEqual(withArg.Image.History[^1].CreatedBy, without.Image.History[^1].CreatedBy);
        Assert.Equal(without.Definition!.Root.Digest, withArg.Definition!.Root.Digest);
    }

    [Fact]
    public void CopyHistoryKeepsFlagsAndTheDestinationAsWritten()
    {
        var result = Convert("FROM busybox\nWORKDIR /app\nARG WHO=alice\nCOPY --chown=$WHO:staff --chmod=0755 --from=busybox a b ./\nADD c .\n");
        Assert.Equal("COPY --chown=alice:staff --chmod=0755 a b ./ # buildkit", result.Image.History[^2].CreatedBy);
        Assert.Equal("ADD c . # buildkit", result.Image.History[^1].CreatedBy);
    }

    [Fact]
    public void CopyStepNamesKeepTheFlags()
    {
        var result = Convert("FROM busybox AS one\nRUN echo\nFROM busybox\nCOPY --from=one --chmod=0644 /x /\n");
        Assert.Contains("[stage-1 2/2] COPY --from=one --chmod=0644 /x /", result.Vertices().Select(v => v.Description.Name));
    }

    [Fact]
    public void ConfigHistoryUsesBuildKitsGoFormatting()
    {
        var result = Convert("FROM busybox\nEXPOSE 80 53/udp\nVOLUME /a /b\nSHELL [\"/bin/sh\", \"-c\"]\nENTRYPOINT [\"a b\", \"q\\\"\"]\nCMD [\"-c\", \"true\"]\n");
        Assert.Equal(
            ["EXPOSE [80/tcp 53/udp]", "VOLUME [/a /b]", "SHELL [/bin/sh -c]", "ENTRYPOINT [\"a b\" \"q\\\"\"]", "CMD [\"-c\" \"true\"]"],
            result.Image.History.Select(h => h.CreatedBy));
    }

    [Fact]
    public void OnbuildIsConfigOnlyWithoutHistory()
    {
        var result = Convert("FROM busybox\nONBUILD RUN echo later\n");
        Assert.Equal(["RUN echo later"], result.Image.Config.OnBuild);
        Assert.Empty(result.Image.History);
    }

    [Fact]
    public void CmdIsMarkedEscapedAndEntrypointLeavesTheFlag()
    {
        Assert.True(Convert("FROM busybox\nCMD [\"x\"]\n").Image.Config.ArgsEscaped);
        Assert.Null(Convert("FROM busybox\nENTRYPOINT [\"x\"]\n").Image.Config.ArgsEscaped);
    }

    [Fact]
    public void ScratchStagesStartInTheRootDirectory()
    {
        Assert.Equal("/", Convert("FROM scratch\nCOPY a /\n").Image.Config.WorkingDir);
    }

    [Fact]
    public void ScratchStagesGetADefaultPath()
    {
        var result = Convert("FROM scratch\nCOPY a /\n");
        Assert.Equal("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", Assert.Single(result.Image.Config.Env!));
        Assert.Empty(result.Images());
        var copy = Assert.IsType<FileOp>(result.Definition!.Root.Op);
        Assert.False(copy.HasBase);
    }

    [Fact]
    public void EmptyScratchTargetHasNoDefinition()
    {
        var result = Convert("FROM scratch\nENV A=1\n");
        Assert.Null(result.Definition);
        Assert.Equal("1", result.Image.Config.Env!.EnvValue("A"));
    }

    [Fact]
    public void VertexNamesFollowBuildKitStyle()
    {
        var result = Convert("FROM busybox AS build\nRUN echo one\nRUN echo two\n");
        var names = result.Vertices().Select(v => v.Description.Name).ToList();
        // One stage: BuildKit leaves its name out of the step numbers.
        Assert.Contains("[1/3] FROM docker.io/library/busybox:latest", names);
        Assert.Contains("[3/3] RUN echo two", names);
        var run = result.Vertices().Single(v => v.Description.Name.EndsWith("echo two", StringComparison.Ordinal));
        Assert.Equal((3, 3), (run.Description.StartLine, run.Description.EndLine));
    }

    [Fact]
    public void NoCacheAndNoCacheFilterMarkVertices()
    {
        const string dockerfile = "FROM busybox AS a\nRUN echo a\nFROM busybox AS b\nCOPY --from=a /x /x\nRUN echo b\n";
        var filtered = Convert(dockerfile, new ConvertOptions { NoCacheFilter = new HashSet<string> { "a" } });
        Assert.True(filtered.Vertices().Single(v => v.Description.Name.EndsWith("echo a", StringComparison.Ordinal)).Description.IgnoreCache);
        Assert.False(filtered.Vertices().Single(v => v.Description.Name.EndsWith("echo b", StringComparison.Ordinal)).Description.IgnoreCache);
        var all = Convert(dockerfile, new ConvertOptions { NoCache = true });
        Assert.All(all.Vertices().Where(v => v.Description.Stage is not null), v => Assert.True(v.Description.IgnoreCache));
    }
}
