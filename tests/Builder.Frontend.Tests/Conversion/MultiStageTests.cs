using Builder.Frontend.Conversion;
using Builder.Solver.Definition;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

public sealed class MultiStageTests
{
    private const string ThreeStages = """
        FROM alpine AS one
        RUN echo one
        FROM debian AS two
        RUN echo two
        FROM busybox
        COPY --from=one /out /out
        """;

    [Fact]
    public void OnlyStagesTheTargetNeedsAreConverted()
    {
        var result = Convert(ThreeStages);
        var images = result.Images().Select(i => i.Identifier).Order().ToList();
        Assert.Equal(["docker.io/library/alpine:latest", "docker.io/library/busybox:latest"], images);
        Assert.DoesNotContain(result.Execs(), e => e.Args[^1] == "echo two");
        Assert.Equal([0, 2], result.Stages.Select(s => s.Index));
    }

    [Fact]
    public void TargetSelectsAStageCaseInsensitively()
    {
        var result = Convert(ThreeStages, new ConvertOptions { Target = "TWO" });
        Assert.Equal("docker.io/library/debian:latest", Assert.Single(result.Images()).Identifier);
        Assert.Equal("two", result.Target.Name);
    }

    [Fact]
    public void UnknownTargetSuggestsTheClosestStage()
    {
        var error = ConvertFails(ThreeStages, new ConvertOptions { Target = "tow" });
        Assert.Contains("target stage \"tow\" could not be found", error.Message);
        Assert.Contains("did you mean \"two\"", error.Message);
    }

    [Fact]
    public void FromAStageContinuesItsFilesystemAndConfig()
    {
        var result = Convert("FROM busybox AS base\nENV A=1\nRUN echo base\nFROM base\nRUN echo child\n");
        var child = result.Definition!.Root;
        var parent = Assert.Single(child.Inputs).Vertex;
        Assert.Equal("echo base", Assert.IsType<ExecOp>(parent.Op).Args[^1]);
        Assert.Equal("1", result.Image.Config.Env!.EnvValue("A"));
    }

    [Fact]
    public void CopyFromByIndexStageAndImage()
    {
        var result = Convert("""
            FROM busybox AS zero
            RUN echo zero
            FROM busybox
            COPY --from=0 /a /a
            COPY --from=zero /b /b
            COPY --from=nginx:1.25 /etc/nginx /etc/nginx
            """);
        var copies = result.Vertices().Where(v => v.Op is FileOp f && f.Actions.OfType<CopyAction>().Any()).ToList();
        Assert.Equal(3, copies.Count);
        var zero = result.Vertices().Single(v => v.Op is ExecOp e && e.Args[^1] == "echo zero");
        Assert.Equal(zero.Digest, copies[0].Inputs[1].Vertex.Digest);
        Assert.Equal(zero.Digest, copies[1].Inputs[1].Vertex.Digest);
        Assert.Contains(result.Images(), i => i.Identifier == "docker.io/library/nginx:1.25");
    }

    [Fact]
    public void CopyFromAnUnknownStageNameCloseToAStageFails()
    {
        var error = ConvertFails("FROM busybox AS build\nRUN make\nFROM busybox\nCOPY --from=biuld /app /app\n");
        Assert.Equal(4, error.StartLine);
        Assert.Contains("did you mean \"build\"", error.Message);
    }

    [Fact]
    public void CopyFromAnIndexOutOfRangeFails()
    {
        var error = ConvertFails("FROM busybox\nCOPY --from=3 /a /a\n");
        Assert.Contains("there is no stage 3", error.Message);
    }

    [Fact]
    public void CycleBetweenStagesFails()
    {
        var error = ConvertFails("""
            FROM busybox AS a
            COPY --from=b /x /x
            FROM busybox AS b
            COPY --from=a /y /y
            """, new ConvertOptions { Target = "a" });
        Assert.Contains("circular dependency", error.Message);
    }

    [Fact]
    public void CopyFromOwnStageFails()
    {
        Assert.Contains("itself", ConvertFails("FROM busybox AS a\nCOPY --from=a /x /x\n").Message);
    }

    [Fact]
    public void ForwardReferenceToALaterStageWorks()
    {
        var result = Convert("FROM busybox AS final\nCOPY --from=later /x /x\nFROM alpine AS later\nRUN echo later\n", new ConvertOptions { Target = "final" });
        Assert.Contains(result.Execs(), e => e.Args[^1] == "echo later");
    }

    [Fact]
    public void NamedContextReplacesAnImage()
    {
        var result = Convert("FROM base\nRUN echo\n", new ConvertOptions { NamedContexts = new Dictionary<string, string> { ["base"] = "docker-image://alpine:3.19" } });
        Assert.Equal("docker.io/library/alpine:3.19", Assert.Single(result.Images()).Identifier);
    }

    [Fact]
    public void StageResultsCarryBaseAndPlatform()
    {
        var result = Convert("FROM --platform=linux/arm64 busybox AS a\nRUN echo\n");
        var stage = Assert.Single(result.Stages);
        Assert.Equal("busybox", stage.BaseName);
        Assert.Equal("linux/arm64", stage.Platform.ToString());
        Assert.False(stage.BaseResolved);
    }

    [Fact]
    public void ResolverSuppliesBaseConfigAndDigest()
    {
        var resolver = new FakeResolver();
        var result = Convert("FROM busybox\nRUN echo\n", new ConvertOptions { ImageResolver = resolver });
        var source = Assert.Single(result.Images());
        Assert.Equal(FakeResolver.Digest, source.Attributes[SourceOp.Attr.ImageDigest]);
        Assert.Equal("/from-image", result.Image.Config.WorkingDir);
        Assert.Equal("/from-image", result.Exec("echo").WorkingDir);
        Assert.Equal("base-user", result.Exec("echo").User);
        Assert.True(result.Target.BaseResolved);
    }

    [Fact]
    public void OnbuildTriggersOfABaseImageRun()
    {
        var resolver = new FakeResolver { OnBuild = ["RUN echo from-image-trigger"] };
        var result = Convert("FROM busybox\nRUN echo mine\n", new ConvertOptions { ImageResolver = resolver });
        Assert.Equal(["echo from-image-trigger", "echo mine"], result.Execs().Select(e => e.Args[^1]));
    }

    [Fact]
    public void FiredTriggersAreNamedOnbuildAndRecordOnlyTheirOwnHistory()
    {
        var resolver = new FakeResolver { OnBuild = ["RUN echo from-image-trigger"] };
        var result = Convert("FROM busybox\nRUN echo mine\n", new ConvertOptions { ImageResolver = resolver });
        var names = result.Vertices().Select(v => v.Description.Name).ToList();
        Assert.Contains("[2/3] ONBUILD RUN echo from-image-trigger", names);
        Assert.Contains("[3/3] RUN echo mine", names);
        Assert.Equal(
            ["RUN /bin/sh -c echo from-image-trigger # buildkit", "RUN /bin/sh -c echo mine # buildkit"],
            result.Image.History.Select(h => h.CreatedBy));
    }

    private sealed class FakeResolver : IImageResolver
    {
        public const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

        public IReadOnlyList<string>? OnBuild { get; init; }

        public Task<ResolvedImage> ResolveAsync(Builder.Oci.References.ImageReference reference, Builder.Oci.Image.Platform platform, CancellationToken cancellationToken) =>
            Task.FromResult(new ResolvedImage(reference, Digest, new Builder.Oci.Image.ImageConfig
            {
                Config = new Builder.Oci.Image.ContainerConfig { WorkingDir = "/from-image", User = "base-user", Env = ["PATH=/bin"], OnBuild = OnBuild },
            }));
    }
}
