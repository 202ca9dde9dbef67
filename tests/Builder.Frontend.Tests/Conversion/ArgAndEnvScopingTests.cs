using Builder.Frontend.Conversion;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

public sealed class ArgAndEnvScopingTests
{
    [Fact]
    public void GlobalArgIsUsableInFrom()
    {
        var result = Convert("ARG TAG=1.36\nFROM busybox:${TAG}\nRUN true\n");
        Assert.Equal("docker.io/library/busybox:1.36", Assert.Single(result.Images()).Identifier);
    }

    [Fact]
    public void BuildArgOverridesGlobalDefault()
    {
        var result = Convert("ARG TAG=1.36\nFROM busybox:$TAG\nRUN true\n", new ConvertOptions { BuildArgs = Args(("TAG", "musl")) });
        Assert.Equal("docker.io/library/busybox:musl", Assert.Single(result.Images()).Identifier);
    }

    [Fact]
    public void GlobalArgIsInvisibleInsideStageUntilRedeclared()
    {
        var result = Convert("ARG V=global\nFROM busybox\nRUN echo one\nARG V\nRUN echo two\n");
        Assert.Null(result.Exec("echo one").Env.EnvValue("V"));
        Assert.Equal("global", result.Exec("echo two").Env.EnvValue("V"));
    }

    [Fact]
    public void StageDefaultWinsOverGlobalValueButBuildArgWinsOverBoth()
    {
        const string dockerfile = "ARG V=global\nFROM busybox\nARG V=stage\nRUN echo $V\n";
        Assert.Equal("stage", Convert(dockerfile).Exec("echo").Env.EnvValue("V"));
        Assert.Equal("cli", Convert(dockerfile, new ConvertOptions { BuildArgs = Args(("V", "cli")) }).Exec("echo").Env.EnvValue("V"));
    }

    [Fact]
    public void ArgDefaultSeesEarlierArgs()
    {
        var result = Convert("FROM busybox\nARG A=x\nARG B=${A}y\nRUN echo\n");
        Assert.Equal("xy", result.Exec("echo").Env.EnvValue("B"));
    }

    [Fact]
    public void ArgIsNotPersistedInTheImage()
    {
        var result = Convert("FROM busybox\nARG SECRETISH=1\nRUN echo\n");
        Assert.Null(result.Image.Config.Env!.EnvValue("SECRETISH"));
    }

    [Fact]
    public void UnusedBuildArgGivesAWarning()
    {
        var result = Convert("FROM busybox\nARG USED\nRUN echo\n", new ConvertOptions { BuildArgs = Args(("USED", "1"), ("TYPO", "2")) });
        var warning = Assert.Single(result.Warnings, w => w.Rule == "UnusedBuildArgs");
        Assert.Contains("TYPO", warning.Message);
        Assert.DoesNotContain("USED", warning.Message);
    }

    [Fact]
    public void ConsumedBuildArgsGiveNoWarning()
    {
        var result = Convert("ARG G\nFROM busybox\nARG USED\nRUN echo\n", new ConvertOptions { BuildArgs = Args(("USED", "1"), ("G", "2"), ("HTTP_PROXY", "http://p")) });
        Assert.DoesNotContain(result.Warnings, w => w.Rule == "UnusedBuildArgs");
    }

    [Fact]
    public void PlatformArgsArePredefinedInFromAndDeclarableInStages()
    {
        var host = Builder.Oci.Image.Platform.Host;
        var result = Convert("FROM --platform=$BUILDPLATFORM busybox\nARG TARGETARCH\nARG TARGETPLATFORM\nARG BUILDOS\nRUN echo\n");
        var env = result.Exec("echo").Env;
        Assert.Equal(host.Architecture, env.EnvValue("TARGETARCH"));
        Assert.Equal(host.ToString(), env.EnvValue("TARGETPLATFORM"));
        Assert.Equal("linux", env.EnvValue("BUILDOS"));
        Assert.Equal(host.ToString(), Assert.Single(result.Images()).Attributes["platform"]);
    }

    [Fact]
    public void PlatformArgsAreNotInStagesWithoutDeclaration()
    {
        var result = Convert("FROM busybox\nRUN echo\n");
        Assert.Null(result.Exec("echo").Env.EnvValue("TARGETARCH"));
    }

    [Fact]
    public void ProxyBuildArgsReachRunButNeverTheImage()
    {
        var result = Convert("FROM busybox\nRUN echo\n", new ConvertOptions { BuildArgs = Args(("HTTP_PROXY", "http://proxy:3128"), ("no_proxy", "localhost")) });
        var env = result.Exec("echo").Env;
        Assert.Equal("http://proxy:3128", env.EnvValue("HTTP_PROXY"));
        Assert.Equal("localhost", env.EnvValue("no_proxy"));
        Assert.Null(result.Image.Config.Env!.EnvValue("HTTP_PROXY"));
        Assert.DoesNotContain(result.Image.History, h => h.CreatedBy!.Contains("proxy", StringComparison.Ordinal));
    }

    [Fact]
    public void EnvWinsOverArgOfTheSameName()
    {
        var result = Convert("FROM busybox\nARG A=from-arg\nENV A=from-env\nENV B=$A\nRUN echo\n", new ConvertOptions { BuildArgs = Args(("A", "from-cli")) });
        var env = result.Exec("echo").Env;
        Assert.Equal("from-env", env.EnvValue("A"));
        Assert.Equal("from-env", env.EnvValue("B"));
    }

    [Fact]
    public void EnvPairsSeeTheOldValues()
    {
        var result = Convert("FROM busybox\nENV A=1\nENV A=2 B=$A\n");
        Assert.Equal("2", result.Image.Config.Env!.EnvValue("A"));
        Assert.Equal("1", result.Image.Config.Env!.EnvValue("B"));
    }

    [Fact]
    public void EnvLegacyFormAndQuotes()
    {
        var result = Convert("FROM busybox\nENV GREETING hello world\nENV Q=\"a b\" R='$HOME' S=x\\ y\n");
        var env = result.Image.Config.Env!;
        Assert.Equal("hello world", env.EnvValue("GREETING"));
        Assert.Equal("a b", env.EnvValue("Q"));
        Assert.Equal("$HOME", env.EnvValue("R"));
        Assert.Equal("x y", env.EnvValue("S"));
    }

    [Fact]
    public void EnvPersistsIntoChildStages()
    {
        var result = Convert("FROM busybox AS base\nENV A=1\nFROM base\nRUN echo\n");
        Assert.Equal("1", result.Exec("echo").Env.EnvValue("A"));
        Assert.Equal("1", result.Image.Config.Env!.EnvValue("A"));
    }

    [Fact]
    public void ArgsOfAStageStayInScopeInStagesBuiltOnIt()
    {
        // BuildKit: the child stage starts from the parent's state, ARG values included.
        var result = Convert("FROM busybox AS a\nARG X=one\nFROM a\nENV Y=x${X}x\nRUN echo\n");
        Assert.Equal("xonex", result.Image.Config.Env!.EnvValue("Y"));
        Assert.Equal("one", result.Exec("echo").Env.EnvValue("X"));
        Assert.Null(result.Image.Config.Env!.EnvValue("X"));
        Assert.Equal("RUN |1 X=one /bin/sh -c echo # buildkit", result.Image.History[^1].CreatedBy);
    }

    [Fact]
    public void RunCmdAndEntrypointAreNotExpanded()
    {
        var result = Convert("FROM busybox\nENV X=1\nRUN echo $X\nCMD echo $X\nENTRYPOINT [\"echo\", \"$X\"]\n");
        Assert.Equal(["/bin/sh", "-c", "echo $X"], result.Exec("echo").Args);
        Assert.Equal(["/bin/sh", "-c", "echo $X"], result.Image.Config.Cmd);
        Assert.Equal(["echo", "$X"], result.Image.Config.Entrypoint);
    }

    [Fact]
    public void InstructionsThatExpandDoExpand()
    {
        var result = Convert("""
            FROM busybox
            ENV D=/data U=app P=8080 S=SIGQUIT L=value F=file.txt
            WORKDIR $D
            USER ${U}
            LABEL key=$L
            EXPOSE $P
            VOLUME $D/vol
            STOPSIGNAL $S
            COPY $F ${D}/
            """);
        var config = result.Image.Config;
        Assert.Equal("/data", config.WorkingDir);
        Assert.Equal("app", config.User);
        Assert.Equal("value", config.Labels!["key"]);
        Assert.Contains("8080/tcp", config.ExposedPorts!.Keys);
        Assert.Contains("/data/vol", config.Volumes!.Keys);
        Assert.Equal("SIGQUIT", config.StopSignal);
        var copy = Assert.Single(result.Actions<Builder.Solver.Definition.CopyAction>());
        Assert.Equal("/file.txt", copy.Source);
        Assert.Equal("/data/", copy.Destination);
    }

    [Fact]
    public void ExpansionErrorNamesTheLine()
    {
        var error = ConvertFails("FROM busybox\n\nWORKDIR ${NOPE:?must be set}\n");
        Assert.Equal(3, error.StartLine);
        Assert.Contains("must be set", error.Message);
    }
}
