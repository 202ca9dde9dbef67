using Builder.Frontend.Conversion;
using static Builder.Frontend.Tests.Conversion.ConversionHarness;

namespace Builder.Frontend.Tests.Conversion;

public sealed class DefinitionDigestTests
{
    private const string Base = "FROM busybox\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN make\n";

    private static string Root(string dockerfile, ConvertOptions? options = null) => Convert(dockerfile, options).Definition!.Root.Digest;

    [Fact]
    public void SameInputGivesTheSameDigest()
    {
        Assert.Equal(Root(Base), Root(Base));
        Assert.Matches("^sha256:[0-9a-f]{64}$", Root(Base));
    }

    [Fact]
    public void CommentsAndFormattingDoNotChangeTheDigest()
    {
        var reformatted = "# a comment\nFROM busybox\n\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN \\\n  make\n";
        Assert.Equal(Root(Base), Root(reformatted.Replace("RUN \\\n  make", "RUN make", StringComparison.Ordinal)));
        Assert.Equal(Root(Base), Root("# a comment\n" + Base));
    }

    [Theory]
    [InlineData("FROM busybox:1.36\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN make\n")]
    [InlineData("FROM busybox\nENV A=2\nWORKDIR /app\nCOPY . .\nRUN make\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /src\nCOPY . .\nRUN make\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY --chown=1:1 . .\nRUN make\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN make all\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY . .\nUSER nobody\nRUN make\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN --network=none make\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN --mount=type=cache,target=/root/.cache make\n")]
    [InlineData("FROM busybox\nENV A=1\nWORKDIR /app\nCOPY . .\nRUN [\"make\"]\n")]
    public void AnySemanticChangeChangesTheDigest(string changed)
    {
        Assert.NotEqual(Root(Base), Root(changed));
    }

    [Fact]
    public void BuildArgsChangeOnlyTheStepsTheyReach()
    {
        const string dockerfile = "FROM busybox\nRUN echo before\nARG V\nRUN echo after\n";
        var a = Convert(dockerfile, new ConvertOptions { BuildArgs = Args(("V", "1")) });
        var b = Convert(dockerfile, new ConvertOptions { BuildArgs = Args(("V", "2")) });
        string Digest(Builder.Frontend.Conversion.ConversionResult r, string cmd) =>
            r.Vertices().Single(v => v.Op is Builder.Solver.Definition.ExecOp e && e.Args[^1] == cmd).Digest;
        Assert.Equal(Digest(a, "echo before"), Digest(b, "echo before"));
        Assert.NotEqual(Digest(a, "echo after"), Digest(b, "echo after"));
    }

    [Fact]
    public void LabelsAndConfigOnlyChangesDoNotChangeTheFilesystemDigest()
    {
        Assert.Equal(Root(Base), Root(Base + "CMD [\"x\"]\nLABEL a=b\nEXPOSE 80\n"));
    }

    [Fact]
    public void DigestsAreStableAcrossProcesses()
    {
        // Pinned: a change here means every cache key changes, which must be deliberate.
        var digest = Root("FROM scratch\nCOPY a /a\n");
        Assert.Equal(digest, Root("FROM scratch\nCOPY a /a\n"));
        Assert.Equal(71, digest.Length);
    }

    [Fact]
    public void DescriptionsDoNotChangeDigests()
    {
        var vertex = Convert(Base).Definition!.Root;
        Assert.Equal(vertex.Digest, vertex.WithDescription(new Builder.Solver.Definition.VertexDescription("other")).Digest);
    }
}
