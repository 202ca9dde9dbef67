using Builder.Exporter.Outputs;
using Builder.Snapshotter.Layers;

namespace Builder.Exporter.Tests;

public sealed class OutputSpecTests
{
    [Fact]
    public void Docker_output_with_quoted_names_and_options()
    {
        var spec = OutputSpec.Parse("type=docker,dest=out.tar,\"name=a:1,b:2\",compression=uncompressed");
        Assert.Equal(OutputType.Docker, spec.Type);
        Assert.Equal("out.tar", spec.Dest);
        Assert.Equal(["a:1", "b:2"], spec.Names);
        Assert.Equal(LayerCompression.None, spec.Compression);
        Assert.False(spec.OciMediaTypes); // BuildKit's default for type=docker
    }

    [Fact]
    public void Oci_output_defaults_and_directory_form()
    {
        var spec = OutputSpec.Parse("type=oci,dest=layout,tar=false,compression=zstd,compression-level=9,annotation.org.opencontainers.image.source=https://x");
        Assert.True(spec.OciMediaTypes);
        Assert.False(spec.Tar);
        Assert.Equal(LayerCompression.Zstd, spec.Compression);
        Assert.Equal(9, spec.CompressionLevel);
        Assert.Equal("https://x", spec.Annotations["org.opencontainers.image.source"]);
        var options = spec.ToImageExportOptions(1_700_000_000);
        Assert.Equal(1_700_000_000, options.SourceDateEpoch);
        Assert.Equal(9, options.Level);
    }

    [Fact]
    public void Short_forms()
    {
        Assert.Equal(new OutputSpec { Type = OutputType.Tar, Dest = "-" }.Dest, OutputSpec.Parse("-").Dest);
        Assert.Equal(OutputType.Tar, OutputSpec.Parse("-").Type);
        var local = OutputSpec.Parse("out/dir");
        Assert.Equal(OutputType.Local, local.Type);
        Assert.Equal("out/dir", local.Dest);
        Assert.True(OutputSpec.Parse("type=registry,name=localhost:5000/app:1").Push);
    }

    [Theory]
    [InlineData("type=docker", "type=docker needs dest=PATH (or dest=- for stdout)")]
    [InlineData("type=zip,dest=x", "unknown output type 'zip': expected image, registry, docker, oci, local or tar")]
    [InlineData("type=oci,dest=x,colour=red", "unknown option 'colour' for type=oci")]
    [InlineData("type=oci,dest=-,tar=false", "dest=- streams a tar; type=oci,tar=false writes a directory")]
    [InlineData("type=local,dest=-", "dest=- streams a tar; type=local writes a directory")]
    [InlineData("type=docker,dest=x,compression=zstd", "compression=zstd needs oci-mediatypes=true: Docker media types have no zstd layer")]
    [InlineData("type=oci,dest=x,compression=lz4", "compression=lz4: expected gzip, zstd or uncompressed")]
    [InlineData("type=oci,dest=x,push=maybe", "push=maybe: expected true or false")]
    [InlineData("type=image,push=true", "type=image with push=true needs name=REFERENCE")]
    [InlineData("type=image,dest=x", "type=image does not take dest=; it writes to the image store or a registry")]
    [InlineData("type=oci,\"dest=x", "--output 'type=oci,\"dest=x' has an unterminated double quote")]
    [InlineData("dest=x,type=oci,novalue", "invalid --output field 'novalue': expected key=value")]
    [InlineData("dest=x", "--output 'dest=x' has no type= (one of image, registry, docker, oci, local, tar)")]
    public void Mistakes_are_reported_exactly(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => OutputSpec.Parse(text));
        Assert.Equal(message, e.Message);
    }
}
