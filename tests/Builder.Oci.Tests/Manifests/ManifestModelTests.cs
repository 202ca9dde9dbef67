using System.Text;
using System.Text.Json;
using Builder.Oci.Image;
using Builder.Oci.Manifests;

namespace Builder.Oci.Tests.Manifests;

public sealed class ManifestModelTests
{
    private static readonly Digest A = Digest.Sha256Of([1]);
    private static readonly Digest B = Digest.Sha256Of([2]);

    [Fact]
    public void Oci_manifest_serializes_in_spec_order_with_sorted_annotations_and_no_nulls()
    {
        var manifest = new ImageManifest
        {
            Config = new Descriptor(MediaTypes.OciConfig, A, 10),
            Layers = [new Descriptor(MediaTypes.OciLayerGzip, B, 20)],
            Annotations = new Dictionary<string, string> { ["z"] = "1", ["a"] = "2" },
        };
        var json = Encoding.UTF8.GetString(manifest.ToJsonBytes());
        Assert.Equal(
            $$$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{A}}}","size":10},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{{B}}}","size":20}],"annotations":{"a":"2","z":"1"}}""",
            json);
        var back = ImageManifest.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(manifest.Config, back.Config);
        Assert.Equal(manifest.Layers, back.Layers);
        Assert.Equal(json, Encoding.UTF8.GetString(back.ToJsonBytes()));
    }

    [Fact]
    public void Descriptor_reads_every_optional_field_and_ignores_unknown_ones()
    {
        var json = $$$"""
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{A}}}","size":7,
             "urls":["https://example.com/x"],"annotations":{"k":"v"},"artifactType":"application/x.test",
             "platform":{"architecture":"arm64","os":"linux","variant":"v8","os.version":"10.0","os.features":["f"]},
             "data":"e30=","somethingNew":{"nested":[1,2]}}
            """;
        var descriptor = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Descriptor)!;
        Assert.Equal(A, descriptor.Digest);
        Assert.Equal(7, descriptor.Size);
        Assert.Equal(["https://example.com/x"], descriptor.Urls);
        Assert.Equal("v", descriptor.Annotations!["k"]);
        Assert.Equal("application/x.test", descriptor.ArtifactType);
        Assert.Equal(new Platform("linux", "arm64", "v8") { OsVersion = "10.0", OsFeatures = descriptor.Platform!.OsFeatures }, descriptor.Platform);
        Assert.Equal(["f"], descriptor.Platform.OsFeatures);
        Assert.Equal("e30=", descriptor.Data);
    }

    [Theory]
    [InlineData("\"sha256:abc\"")]
    [InlineData("\"md5:d41d8cd98f00b204e9800998ecf8427e\"")]
    [InlineData("12")]
    public void Invalid_digests_in_json_are_rejected(string digest)
    {
        var json = $$"""{"mediaType":"x","digest":{{digest}},"size":1}""";
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, ManifestJsonContext.Default.Descriptor));
    }

    [Fact]
    public void Docker_conversion_maps_media_types_both_ways()
    {
        var oci = new ImageManifest
        {
            Config = new Descriptor(MediaTypes.OciConfig, A, 10),
            Layers = [new Descriptor(MediaTypes.OciLayerGzip, B, 20), new Descriptor(MediaTypes.OciLayerTar, A, 30)],
        };
        var docker = oci.ConvertTo(ManifestFormat.Docker);
        Assert.Equal(MediaTypes.DockerManifest, docker.MediaType);
        Assert.Equal(ManifestFormat.Docker, docker.Format);
        Assert.Equal(MediaTypes.DockerConfig, docker.Config.MediaType);
        Assert.Equal([MediaTypes.DockerLayerGzip, MediaTypes.DockerLayerTar], docker.Layers.Select(l => l.MediaType));
        var back = docker.ConvertTo(ManifestFormat.Oci);
        Assert.Equal(oci.ToJsonBytes(), back.ToJsonBytes());

        var zstd = oci with { Layers = [new Descriptor(MediaTypes.OciLayerZstd, B, 1)] };
        Assert.Contains("zstd", Assert.Throws<InvalidOperationException>(() => zstd.ConvertTo(ManifestFormat.Docker)).Message);
        var annotated = oci with { Annotations = new Dictionary<string, string> { ["a"] = "b" } };
        Assert.Throws<InvalidOperationException>(() => annotated.ConvertTo(ManifestFormat.Docker));

        var index = new ImageIndex { Manifests = [new Descriptor(MediaTypes.OciManifest, A, 1) { Platform = new Platform("linux", "amd64") }] };
        var list = index.ConvertTo(ManifestFormat.Docker);
        Assert.Equal(MediaTypes.DockerManifestList, list.MediaType);
        Assert.Equal(MediaTypes.DockerManifest, list.Manifests[0].MediaType);
        Assert.Contains("\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}", Encoding.UTF8.GetString(list.ToJsonBytes()));
    }

    [Fact]
    public void Documents_are_recognised_by_media_type_field_content_type_or_shape()
    {
        var manifestNoType = $$"""{"schemaVersion":2,"config":{"mediaType":"{{MediaTypes.OciConfig}}","digest":"{{A}}","size":1},"layers":[]}""";
        var indexNoType = $$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{MediaTypes.OciManifest}}","digest":"{{A}}","size":1}]}""";
        var dockerList = $$"""{"schemaVersion":2,"mediaType":"{{MediaTypes.DockerManifestList}}","manifests":[]}""";

        var byShape = ManifestDocument.Parse(Encoding.UTF8.GetBytes(manifestNoType));
        Assert.Equal(MediaTypes.OciManifest, byShape.MediaType);
        Assert.NotNull(byShape.Manifest);
        Assert.Equal(Digest.Sha256Of(Encoding.UTF8.GetBytes(manifestNoType)), byShape.Digest);

        Assert.True(ManifestDocument.Parse(Encoding.UTF8.GetBytes(indexNoType)).IsIndex);
        var byHeader = ManifestDocument.Parse(Encoding.UTF8.GetBytes(manifestNoType), MediaTypes.DockerManifest + "; charset=utf-8");
        Assert.Equal(MediaTypes.DockerManifest, byHeader.MediaType);
        var list = ManifestDocument.Parse(Encoding.UTF8.GetBytes(dockerList), "application/json");
        Assert.Equal(MediaTypes.DockerManifestList, list.MediaType);
        Assert.NotNull(list.Index);
    }

    [Theory]
    [InlineData("""{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}""", "schema 1")]
    [InlineData("""{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}""", "unsupported manifest media type 'application/vnd.example.thing+json'")]
    [InlineData("""[1,2]""", "expected a JSON object")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":1}}""", "invalid image manifest")]
    [InlineData("""{"schemaVersion":3,"config":{"mediaType":"x","digest":"sha256:4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a","size":1}}""", "schemaVersion 3")]
    [InlineData("""{"schemaVersion":2,""", "invalid manifest JSON")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a","size":1},"layers":null}""", "invalid image manifest")]
    [InlineData("""{"schemaVersion":2,"config":{"mediaType":"x","size":1},"layers":[]}""", "invalid image manifest")]
    [InlineData("""{"schemaVersion":2,"layers":[]}""", "invalid image manifest")]
    [InlineData("""{"schemaVersion":2,"manifests":null}""", "invalid image index")]
    public void Unsupported_or_broken_documents_are_rejected_with_the_reason(string json, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ManifestDocument.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Contains(reason, error.Message);
    }

    [Theory]
    [InlineData("linux/arm64", "linux/arm64/v8", true)]
    [InlineData("linux/aarch64", "linux/arm64", true)]
    [InlineData("linux/arm64/v8", "linux/arm64", true)]
    [InlineData("linux/arm", "linux/arm/v7", true)]
    [InlineData("linux/arm/v7", "linux/arm/v6", true)]
    [InlineData("linux/arm/v6", "linux/arm/v7", false)]
    [InlineData("linux/amd64", "linux/amd64/v1", true)]
    [InlineData("linux/amd64/v3", "linux/amd64", true)]
    [InlineData("linux/amd64", "linux/amd64/v2", false)]
    [InlineData("linux/x86_64", "linux/amd64", true)]
    [InlineData("linux/amd64", "windows/amd64", false)]
    [InlineData("linux/amd64", "linux/arm64", false)]
    public void Platforms_match_with_containerd_defaults(string wanted, string candidate, bool matches)
    {
        Assert.Equal(matches, PlatformMatching.Matches(Platform.Parse(wanted), Platform.Parse(candidate)));
    }

    [Fact]
    public void Index_selection_prefers_exact_variants_and_skips_attestations_and_unknown_types()
    {
        Descriptor Entry(string platform, byte tag, string mediaType = MediaTypes.OciManifest) =>
            new(mediaType, Digest.Sha256Of([tag]), 1) { Platform = Platform.Parse(platform) };
        var index = new ImageIndex
        {
            Manifests =
            [
                Entry("unknown/unknown", 1),
                Entry("linux/arm/v6", 2),
                Entry("linux/arm/v7", 3),
                Entry("linux/arm/v5", 4),
                Entry("linux/amd64", 5, "application/vnd.example.unknown+json"),
                Entry("linux/amd64", 6, MediaTypes.DockerManifest),
            ],
        };
        Assert.Equal(Digest.Sha256Of([3]), PlatformMatching.SelectManifest(index, Platform.Parse("linux/arm"))!.Digest);
        Assert.Equal(Digest.Sha256Of([2]), PlatformMatching.SelectManifest(index, Platform.Parse("linux/arm/v6"))!.Digest);
        Assert.Equal(Digest.Sha256Of([6]), PlatformMatching.SelectManifest(index, Platform.Parse("linux/amd64"))!.Digest);
        Assert.Null(PlatformMatching.SelectManifest(index, Platform.Parse("linux/riscv64")));

        var withDefault = index with { Manifests = [.. index.Manifests, new Descriptor(MediaTypes.OciManifest, Digest.Sha256Of([7]), 1)] };
        Assert.Equal(Digest.Sha256Of([7]), PlatformMatching.SelectManifest(withDefault, Platform.Parse("linux/riscv64"))!.Digest);
        Assert.Equal(Digest.Sha256Of([3]), PlatformMatching.SelectManifest(withDefault, Platform.Parse("linux/arm/v7"))!.Digest);
    }
}
