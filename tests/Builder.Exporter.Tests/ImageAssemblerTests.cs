using Builder.Exporter.Tests.Support;
using Builder.Oci;
using Builder.Oci.Manifests;
using Builder.Snapshotter.Layers;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

public sealed class ImageAssemblerTests
{
    [Fact]
    public void Assembles_config_with_diff_ids_and_an_oci_manifest_into_the_content_store()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var layers = TestImages.TwoLayers(temp);
        var image = new ImageAssembler(temp.Root).Assemble(layers, TestImages.Config());

        Assert.Equal(MediaTypes.OciManifest, image.Manifest.MediaType);
        Assert.True(temp.Root.Content.Exists(image.Manifest.Digest));
        Assert.True(temp.Root.Content.Exists(image.ConfigDigest));
        Assert.Equal(2, image.Document.Layers.Count);
        Assert.All(image.Document.Layers, l => Assert.Equal(MediaTypes.OciLayerGzip, l.MediaType));
        Assert.Equal(layers.Select(k => temp.Root.Layers.Find(k)!.DiffId.ToString()), image.Config.RootFs.DiffIds);
        using var stored = temp.Root.Content.OpenRead(image.Manifest.Digest);
        using var bytes = new MemoryStream();
        stored.CopyTo(bytes);
        var parsed = ManifestDocument.Parse(bytes.ToArray());
        Assert.Equal(image.ConfigDigest, parsed.Manifest!.Config.Digest);
    }

    [Fact]
    public void Docker_media_types_on_request()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config(), new ImageExportOptions { OciMediaTypes = false });
        Assert.Equal(MediaTypes.DockerManifest, image.Manifest.MediaType);
        Assert.Equal(MediaTypes.DockerConfig, image.Document.Config.MediaType);
        Assert.All(image.Document.Layers, l => Assert.Equal(MediaTypes.DockerLayerGzip, l.MediaType));
    }

    [Fact]
    public void Zstd_with_docker_media_types_is_refused()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var e = Assert.Throws<ArgumentException>(() => new ImageAssembler(temp.Root).Assemble([], TestImages.Config() with { History = [] },
            new ImageExportOptions { OciMediaTypes = false, Compression = LayerCompression.Zstd }));
        Assert.StartsWith("zstd compression needs OCI media types", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void History_that_does_not_match_the_layers_is_refused()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var e = Assert.Throws<ArgumentException>(() => new ImageAssembler(temp.Root).Assemble(["base"], TestImages.Config()));
        Assert.StartsWith("the config's history has 2 entries with a layer but the image has 1 layers", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public void Same_input_and_source_date_epoch_give_identical_digests_in_two_data_roots(LayerCompression compression)
    {
        Capabilities.RequireRoot();
        var options = new ImageExportOptions { Compression = compression, SourceDateEpoch = 1_700_000_000 };
        (AssembledImage, byte[]) Build()
        {
            using var temp = new TempDataRoot();
            var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config(), options);
            using var archive = new MemoryStream();
            new Archives.DockerArchiveWriter(temp.Root.Content).WriteAsync([Archives.ArchiveImage.From(image, Oci.References.ImageReference.Parse("app:1"))],
                Archives.OutputTarget.ToStream(archive), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
            return (image, archive.ToArray());
        }
        var (first, firstArchive) = Build();
        Thread.Sleep(1100); // the second tree gets later mtimes and a later config time: the epoch must hide both
        var (second, secondArchive) = Build();
        Assert.Equal(first.Manifest.Digest, second.Manifest.Digest);
        Assert.Equal(firstArchive, secondArchive);
        Assert.Equal(first.ConfigDigest, second.ConfigDigest);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), first.Config.Created);
        Assert.All(first.Config.History, h => Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), h.Created));
    }

    [Fact]
    public void Annotations_go_on_the_oci_manifest_and_are_refused_with_docker_media_types()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var layers = TestImages.TwoLayers(temp);
        var annotations = new Dictionary<string, string> { ["org.opencontainers.image.source"] = "https://example.com/app" };
        var image = new ImageAssembler(temp.Root).Assemble(layers, TestImages.Config(), new ImageExportOptions { Annotations = annotations });
        Assert.Equal("https://example.com/app", image.Document.Annotations!["org.opencontainers.image.source"]);
        var e = Assert.Throws<ArgumentException>(() => new ImageAssembler(temp.Root).Assemble(layers, TestImages.Config(),
            new ImageExportOptions { Annotations = annotations, OciMediaTypes = false }));
        Assert.StartsWith("annotations need OCI media types", e.Message, StringComparison.Ordinal);
    }
}
