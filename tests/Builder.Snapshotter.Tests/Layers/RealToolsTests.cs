using System.Text.Json;
using Builder.Oci;
using Builder.Snapshotter.Layers;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;
using static Builder.Snapshotter.Tests.Support.SnapshotMounts;

namespace Builder.Snapshotter.Tests.Layers;

/// <summary>Our layers against real tools: umoci unpacks what we write; GNU tar's archives apply.</summary>
public sealed class RealToolsTests
{
    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.None)] // Debian's umoci does not read zstd layers; those are checked by the round trip
    public void Layers_we_write_unpack_with_umoci_to_the_same_tree(LayerCompression compression)
    {
        Capabilities.RequireRoot();
        ExternalTool.Require("umoci");
        using var temp = new TempDataRoot(useOverlay: true);
        Layer(temp, "rich", null, LayerDiffTests.MakeRichTree);
        Layer(temp, "top", "rich", d =>
        {
            File.Delete(Path.Combine(d, "etc/passwd"));
            Directory.Delete(Path.Combine(d, "etc/deep"), recursive: true);
            Directory.CreateDirectory(Path.Combine(d, "etc/deep"));
            File.WriteAllText(Path.Combine(d, "etc/deep/fresh"), "fresh");
            File.WriteAllText(Path.Combine(d, "bin/tool"), "changed");
        });
        var options = new LayerExportOptions { Compression = compression };
        var layers = new[] { temp.Root.Layers.Export("rich", options), temp.Root.Layers.Export("top", options) };

        var layout = temp.NewDir("layout");
        var blobs = Directory.CreateDirectory(Path.Combine(layout, "blobs/sha256")).FullName;
        foreach (var l in layers)
        {
            using var src = temp.Root.Content.OpenRead(l.Digest);
            using var dst = File.Create(Path.Combine(blobs, l.Digest.Hex));
            src.CopyTo(dst);
        }
        Descriptor WriteBlob(string mediaType, object value)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(value);
            var digest = Digest.Sha256Of(bytes);
            File.WriteAllBytes(Path.Combine(blobs, digest.Hex), bytes);
            return new Descriptor(mediaType, digest, bytes.Length);
        }
        object Desc(Descriptor d) => new { mediaType = d.MediaType, digest = d.Digest.ToString(), size = d.Size };
        var config = WriteBlob("application/vnd.oci.image.config.v1+json", new
        {
            architecture = "amd64",
            os = "linux",
            config = new { },
            rootfs = new { type = "layers", diff_ids = layers.Select(l => l.DiffId.ToString()).ToArray() },
        });
        var manifest = WriteBlob("application/vnd.oci.image.manifest.v1+json", new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = Desc(config),
            layers = layers.Select(l => Desc(new Descriptor(l.MediaType, l.Digest, l.Size))).ToArray(),
        });
        File.WriteAllText(Path.Combine(layout, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        File.WriteAllText(Path.Combine(layout, "index.json"), JsonSerializer.Serialize(new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = manifest.MediaType, digest = manifest.Digest.ToString(), size = manifest.Size, annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = "latest" } } },
        }));
        var bundle = Path.Combine(temp.NewDir("bundle"), "b");
        ExternalTool.Run($"umoci unpack --image {layout}:latest {bundle}");
        Assert.Equal(Describe(temp, "top"), TreeDescription.Capture(Path.Combine(bundle, "rootfs")));
    }

    [Theory]
    [InlineData("z")]
    [InlineData("-zstd")]
    public void A_layer_written_by_gnu_tar_applies_to_the_same_tree(string compressFlag)
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot(useOverlay: null);
        var source = temp.NewDir("src");
        LayerDiffTests.MakeRichTree(source);
        ExternalTool.Run("cp -a /usr/share/zoneinfo " + source + "/zoneinfo");
        var archive = Path.Combine(temp.Dir, "layer.tar");
        ExternalTool.Run($"tar --xattrs --xattrs-include='*' --numeric-owner -c{(compressFlag == "z" ? "z" : "")}f {archive} {(compressFlag == "z" ? "" : "--zstd")} -C {source} .");
        using (var blob = File.OpenRead(archive))
        {
            temp.Root.Layers.Apply(blob, null, "gnu");
        }
        Assert.Equal(TreeDescription.Capture(source), Describe(temp, "gnu"));
    }
}
