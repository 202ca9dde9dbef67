using System.Text.Json;
using Builder.Exporter.Archives;
using Builder.Exporter.Tests.Support;
using Builder.Oci.References;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>Our archives and layouts against skopeo and umoci.</summary>
public sealed class ArchiveToolsTests
{
    private static (TempDataRoot Temp, AssembledImage Image) Image(ImageExportOptions? options = null)
    {
        Capabilities.RequireRoot();
        var temp = new TempDataRoot();
        return (temp, new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config(), options));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Skopeo_inspects_and_copies_our_docker_archive(bool ociMediaTypes)
    {
        var (temp, image) = Image(new ImageExportOptions { OciMediaTypes = ociMediaTypes });
        using var _ = temp;
        Tools.Require("skopeo");
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync(
            [ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"), ImageReference.Parse("localhost:5000/app:latest"))],
            OutputTarget.File(archive), TestContext.Current.CancellationToken);

        using var inspect = JsonDocument.Parse(Tools.Run($"skopeo inspect docker-archive:{archive}"));
        Assert.Equal(image.Config.RootFs.DiffIds.Count, inspect.RootElement.GetProperty("Layers").GetArrayLength());
        var layout = Path.Combine(temp.NewDir("copy"), "layout");
        Tools.Run($"skopeo copy docker-archive:{archive}:localhost:5000/app:latest oci:{layout}:copied");
        Assert.True(File.Exists(Path.Combine(layout, "index.json")));
        using var raw = JsonDocument.Parse(Tools.Run($"skopeo inspect --config oci:{layout}:copied"));
        Assert.Equal(image.Config.RootFs.DiffIds, raw.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task Docker_archive_lists_every_tag_in_manifest_json()
    {
        var (temp, image) = Image();
        using var _ = temp;
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync(
            [ArchiveImage.From(image, ImageReference.Parse("busybox"), ImageReference.Parse("example/app:1.0"))],
            OutputTarget.File(archive), TestContext.Current.CancellationToken);
        using var reader = new System.Formats.Tar.TarReader(File.OpenRead(archive));
        string? manifestJson = null;
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name == "manifest.json")
            {
                manifestJson = new StreamReader(entry.DataStream!).ReadToEnd();
            }
        }
        using var doc = JsonDocument.Parse(manifestJson!);
        var tags = doc.RootElement[0].GetProperty("RepoTags").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["busybox:latest", "example/app:1.0"], tags);
        Assert.Equal($"blobs/sha256/{image.ConfigDigest.Hex}", doc.RootElement[0].GetProperty("Config").GetString());
    }

    [Fact]
    public async Task Umoci_unpacks_our_oci_layout_with_the_whiteout_applied()
    {
        var (temp, image) = Image(new ImageExportOptions { Compression = Snapshotter.Layers.LayerCompression.Gzip });
        using var _ = temp;
        Tools.Require("umoci");
        var layout = Path.Combine(temp.NewDir("out"), "layout");
        await new OciLayoutWriter(temp.Root.Content).WriteDirectoryAsync(
            [ArchiveImage.From(image, ImageReference.Parse("example/app:v1"))], OutputTarget.File(layout), TestContext.Current.CancellationToken);

        var bundle = Path.Combine(temp.NewDir("bundle"), "b");
        Tools.Run($"umoci unpack --image {layout}:v1 {bundle}");
        var rootfs = Path.Combine(bundle, "rootfs");
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(rootfs, "etc/hello")));
        Assert.False(File.Exists(Path.Combine(rootfs, "etc/gone")));
        Assert.Equal(100_000, new FileInfo(Path.Combine(rootfs, "app/data")).Length);
        Assert.Empty(Directory.EnumerateFiles(rootfs, ".wh.*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData(Snapshotter.Layers.LayerCompression.Gzip)]
    [InlineData(Snapshotter.Layers.LayerCompression.Zstd)]
    [InlineData(Snapshotter.Layers.LayerCompression.None)]
    public async Task Skopeo_copies_our_oci_archive_tarball(Snapshotter.Layers.LayerCompression compression)
    {
        var (temp, image) = Image(new ImageExportOptions { Compression = compression });
        using var _ = temp;
        Tools.Require("skopeo");
        var archive = Path.Combine(temp.NewDir("out"), "image-oci.tar");
        await new OciLayoutWriter(temp.Root.Content).WriteTarAsync(
            [ArchiveImage.From(image, ImageReference.Parse("example/app:v1"))], OutputTarget.File(archive), TestContext.Current.CancellationToken);

        using var inspect = JsonDocument.Parse(Tools.Run($"skopeo inspect --raw oci-archive:{archive}:v1"));
        Assert.Equal(image.Document.Layers.Count, inspect.RootElement.GetProperty("layers").GetArrayLength());
        var copy = Path.Combine(temp.NewDir("copy"), "layout");
        Tools.Run($"skopeo copy oci-archive:{archive}:v1 oci:{copy}:v1");
        using var copied = JsonDocument.Parse(Tools.Run($"skopeo inspect --raw oci:{copy}:v1"));
        Assert.Equal(image.ConfigDigest.ToString(), copied.RootElement.GetProperty("config").GetProperty("digest").GetString());
        if (compression != Snapshotter.Layers.LayerCompression.None)
        {
            // skopeo compresses uncompressed layers on copy; compressed ones it copies as they are.
            Assert.True(File.Exists(Path.Combine(copy, "blobs/sha256", image.Manifest.Digest.Hex)), "skopeo kept our manifest bytes");
        }
    }

    [Fact]
    public async Task Our_docker_archive_is_also_an_oci_layout_as_docker_25_writes_it()
    {
        var (temp, image) = Image();
        using var _ = temp;
        Tools.Require("skopeo");
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync([ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"))],
            OutputTarget.File(archive), TestContext.Current.CancellationToken);
        using var raw = JsonDocument.Parse(Tools.Run($"skopeo inspect --raw oci-archive:{archive}:1.0"));
        Assert.Equal(image.ConfigDigest.ToString(), raw.RootElement.GetProperty("config").GetProperty("digest").GetString());
    }
}
