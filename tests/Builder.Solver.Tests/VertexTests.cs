using Builder.Solver.Definition;

namespace Builder.Solver.Tests;

public sealed class VertexTests
{
    private static Vertex Image(string reference) =>
        new(new SourceOp(SourceKind.Image, reference, new Dictionary<string, string> { ["platform"] = "linux/amd64" }));

    private static Vertex Run(Vertex input, string command, params string[] env) =>
        new(new ExecOp(["/bin/sh", "-c", command], env, "/", "", [new Mount("/", 0)]), new VertexInput(input));

    [Fact]
    public void DigestCoversOpAndInputs()
    {
        var busybox = Image("docker.io/library/busybox:latest");
        Assert.Equal(Run(busybox, "make").Digest, Run(Image("docker.io/library/busybox:latest"), "make").Digest);
        Assert.NotEqual(Run(busybox, "make").Digest, Run(Image("docker.io/library/alpine:latest"), "make").Digest);
        Assert.NotEqual(Run(busybox, "make").Digest, Run(busybox, "make", "A=1").Digest);
    }

    [Fact]
    public void AttributeOrderDoesNotMatter()
    {
        var a = new Vertex(new SourceOp(SourceKind.Local, "context", new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" }));
        var b = new Vertex(new SourceOp(SourceKind.Local, "context", new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" }));
        Assert.Equal(a.Digest, b.Digest);
    }

    [Fact]
    public void EnvOrderMatters()
    {
        var busybox = Image("busybox");
        Assert.NotEqual(Run(busybox, "x", "A=1", "B=2").Digest, Run(busybox, "x", "B=2", "A=1").Digest);
    }

    [Fact]
    public void FileActionFieldsAllCount()
    {
        var baseImage = Image("busybox");
        var context = new Vertex(new SourceOp(SourceKind.Local, "context", new Dictionary<string, string>()));
        Vertex Copy(CopyAction action) => new(new FileOp([action]), new VertexInput(baseImage), new VertexInput(context));
        var plain = new CopyAction(1, "/a", "/b");
        var digests = new[]
        {
            Copy(plain).Digest,
            Copy(plain with { Owner = new Ownership("1", "1") }).Digest,
            Copy(plain with { Chmod = "0755" }).Digest,
            Copy(plain with { Excludes = ["x"] }).Digest,
            Copy(plain with { Parents = true }).Digest,
            Copy(plain with { AttemptUnpack = true }).Digest,
            Copy(plain with { Destination = "/c" }).Digest,
        };
        Assert.Equal(digests.Length, digests.Distinct().Count());
    }

    [Fact]
    public void CanonicalFormIsCompactJson()
    {
        var vertex = Image("busybox");
        var text = System.Text.Encoding.UTF8.GetString(vertex.CanonicalForm());
        Assert.Equal("""{"kind":"source","source":"image","identifier":"busybox","attrs":{"platform":"linux/amd64"},"inputs":[]}""", text);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(vertex.CanonicalForm())), vertex.Digest);
    }

    [Fact]
    public void TopologicalOrderHandlesDeepChainsAndSharedInputs()
    {
        var vertex = Image("busybox");
        var first = vertex;
        for (var i = 0; i < 20_000; i++)
        {
            vertex = Run(vertex, "step " + i);
        }
        var merged = new Vertex(new MergeOp(), new VertexInput(vertex), new VertexInput(first));
        var order = new BuildDefinition(merged).TopologicalOrder();
        Assert.Equal(20_002, order.Count);
        Assert.Equal(first.Digest, order[0].Digest);
        Assert.Equal(merged.Digest, order[^1].Digest);
    }

    [Fact]
    public void NullArgumentsAreRejected()
    {
        Assert.Throws<ArgumentNullException>(() => new Vertex(null!, []));
        Assert.Throws<ArgumentNullException>(() => new BuildDefinition(null!));
    }
}
