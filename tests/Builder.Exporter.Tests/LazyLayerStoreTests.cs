using System.Security.Cryptography;
using System.Text.Json;
using Builder.Exporter.Archives;
using Builder.Exporter.Loading;
using Builder.Exporter.Store;
using Builder.Exporter.Tests.Support;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.Snapshotter.Layers;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>
/// Images a build stores keep their new layers lazy (digest recorded, blob not written); everything that needs the
/// bytes (save, push, archive exports, load of the save) regenerates them from the snapshots and gets the same digests.
/// </summary>
public sealed class LazyLayerStoreTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static (TempDataRoot Temp, ImageStore Store, StoredImage Image) Built(string? topSnapshot = "top")
    {
        Capabilities.RequireRoot();
        var temp = new TempDataRoot();
        var store = new ImageStore(temp.Root);
        var layers = TestImages.TwoLayers(temp);
        var image = new StoreExporter(store).Export(layers, topSnapshot, TestImages.Config(), [ImageReference.Parse("example/lazy:1")]);
        return (temp, store, image);
    }

    private static Digest Sha256Of(Stream stream) => Digest.FromSha256Bytes(SHA256.HashData(stream));

    [Fact]
    public void A_store_export_writes_no_layer_blob_and_reading_one_gives_the_recorded_diff_id()
    {
        var (temp, store, image) = Built();
        using var _ = temp;
        var manifest = store.ReadManifest(image);
        var config = store.ReadConfig(image);

        Assert.Equal(2, manifest.Layers.Count);
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            Assert.Equal(MediaTypes.OciLayerTar, layer.MediaType);
            Assert.Equal(config.RootFs.DiffIds[i], layer.Digest.ToString()); // uncompressed: the digest is the diff id
            Assert.False(temp.Root.Content.Exists(layer.Digest), $"layer {i} was written at build time");
            Assert.True(temp.Root.Content.IsAvailable(layer.Digest));
        }
        Assert.Equal(manifest.Config.Size + manifest.Layers.Sum(l => l.Size), image.Size);

        foreach (var layer in manifest.Layers)
        {
            using var blob = temp.Root.Content.OpenRead(layer.Digest);
            Assert.Equal(layer.Size, blob.Length);
            Assert.Equal(layer.Digest, Sha256Of(blob));
        }
        Assert.All(manifest.Layers, l => Assert.True(temp.Root.Content.Exists(l.Digest)));
    }

    [Fact]
    public async Task Save_of_a_built_image_reads_in_skopeo_and_umoci_and_loads_back_with_the_same_digests()
    {
        var (temp, store, image) = Built();
        using var _ = temp;
        Tools.Require("skopeo");
        Tools.Require("umoci");
        var manifest = store.ReadManifest(image);
        var config = store.ReadConfig(image);
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");

        await new DockerArchiveWriter(temp.Root.Content).WriteAsync([new ArchiveImage(image.Manifest, [ImageReference.Parse("example/lazy:1")])],
            OutputTarget.File(archive), Cancel);

        using (var inspect = JsonDocument.Parse(Tools.Run($"skopeo inspect docker-archive:{archive}")))
        {
            Assert.Equal(manifest.Layers.Select(l => l.Digest.ToString()), inspect.RootElement.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()!));
        }
        var layout = Path.Combine(temp.NewDir("copy"), "layout");
        Tools.Run($"skopeo copy docker-archive:{archive} oci:{layout}:copied");
        using (var copied = JsonDocument.Parse(Tools.Run($"skopeo inspect --config oci:{layout}:copied")))
        {
            Assert.Equal(config.RootFs.DiffIds, copied.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(e => e.GetString()!));
        }
        var bundle = Path.Combine(temp.NewDir("bundle"), "b");
        Tools.Run($"umoci unpack --image {layout}:copied {bundle}");
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(bundle, "rootfs/etc/hello")));
        Assert.False(File.Exists(Path.Combine(bundle, "rootfs/etc/gone")));
        Assert.Equal(100_000, new FileInfo(Path.Combine(bundle, "rootfs/app/data")).Length);

        // Loaded into a fresh store, the image is the one that was built: same manifest and config digests.
        using var other = new TempDataRoot();
        var loaded = Assert.Single(await new ArchiveLoader(other.Root).LoadAsync(archive, cancellationToken: Cancel));
        Assert.Equal(image.Manifest.Digest, loaded.Manifest.Digest);
        Assert.Equal(image.ConfigDigest, loaded.Document.Config.Digest);
    }

    [Fact]
    public async Task Push_of_a_built_image_compresses_without_storing_the_tar_and_a_fresh_store_pulls_the_same_image()
    {
        var (temp, store, image) = Built();
        using var _ = temp;
        var registry = await SharedRegistry.GetAsync();
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance, MaxRetries = 0 });
        var layers = store.ReadManifest(image).Layers;

        var gzip = await new ImagePusher(store, client).PushAsync(image, ImageReference.Parse($"{registry.Host}/lazy/{Guid.NewGuid():N}:gz"), cancellationToken: Cancel);
        Assert.All(layers, l => Assert.False(temp.Root.Content.Exists(l.Digest), "the uncompressed tar was stored to compress it"));

        // Uncompressed: the stored manifest as is, its blobs regenerated (the registry checks every digest).
        var plainTarget = ImageReference.Parse($"{registry.Host}/lazy/{Guid.NewGuid():N}:plain");
        var plain = await new ImagePusher(store, client).PushAsync(image, plainTarget, LayerCompression.None, Cancel);
        Assert.Equal(image.Manifest.Digest, plain.Digest);

        using var other = new TempDataRoot();
        var puller = new ImagePuller(new ImageStore(other.Root), client);
        var pulled = await puller.PullAsync(plainTarget, Platform.Host, Cancel);
        Assert.Equal(image.Manifest.Digest, pulled.Manifest.Digest);
        Assert.Equal(image.ConfigDigest, pulled.ConfigDigest);
        Assert.NotEqual(image.Manifest.Digest, gzip.Digest);
    }

    [Fact]
    public async Task Gc_keeps_the_snapshots_a_stored_images_lazy_layers_are_made_from()
    {
        // No top snapshot: only the image's lazy-layer references keep "base" and "top".
        var (temp, store, image) = Built(topSnapshot: null);
        using var _ = temp;
        var layers = store.ReadManifest(image).Layers;

        temp.Root.Gc.Collect();

        Assert.Equal(["base", "top"], temp.Root.Snapshots.Walk().Select(s => s.Key).Order(StringComparer.Ordinal));
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync([new ArchiveImage(image.Manifest, [])], OutputTarget.File(archive), Cancel);
        foreach (var layer in layers)
        {
            using var blob = temp.Root.Content.OpenRead(layer.Digest);
            Assert.Equal(layer.Digest, Sha256Of(blob));
        }

        store.Remove(image);
        temp.Root.Gc.Collect();
        Assert.Empty(temp.Root.Snapshots.Walk());
        Assert.All(layers, l => Assert.False(temp.Root.Content.IsAvailable(l.Digest)));
    }

    [Fact]
    public async Task A_tampered_snapshot_makes_save_fail_with_a_clear_error_and_writes_neither_archive_nor_blob()
    {
        var (temp, store, image) = Built();
        using var _ = temp;
        var top = store.ReadManifest(image).Layers[1];
        // app/data exists only in "top": its snapshot directory is the one holding it.
        var data = Assert.Single(Directory.EnumerateFiles(Path.Combine(temp.Root.Path, "snapshots"), "data", SearchOption.AllDirectories),
            f => f.EndsWith("/app/data", StringComparison.Ordinal));
        File.WriteAllText(data, new string('y', 100_000)); // same size, other bytes
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new DockerArchiveWriter(temp.Root.Content).WriteAsync(
            [new ArchiveImage(image.Manifest, [])], OutputTarget.File(archive), Cancel));

        Assert.Contains($"layer {top.Digest} cannot be regenerated from snapshot 'top'", error.Message);
        Assert.Contains("--no-cache", error.Message);
        Assert.False(File.Exists(archive));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(archive)!));
        Assert.False(temp.Root.Content.Exists(top.Digest));
    }
}
