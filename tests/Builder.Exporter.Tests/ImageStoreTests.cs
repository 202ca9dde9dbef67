using Builder.Exporter.Store;
using Builder.Exporter.Tests.Support;
using Builder.Oci;
using Builder.Oci.References;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>The local image store: names, ids, lookups, tags, removal and what the GC keeps.</summary>
public sealed class ImageStoreTests
{
    private static StoredImage Build(TempDataRoot temp, params string[] names)
    {
        var layers = TestImages.TwoLayers(temp);
        return new StoreExporter(new ImageStore(temp.Root)).Export(layers, layers[^1], TestImages.Config(), names.Select(ImageReference.Parse).ToList());
    }

    [Fact]
    public void A_stored_image_is_found_by_familiar_and_full_name_by_id_prefix_and_by_manifest_digest()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = Build(temp, "busybox");
        var store = new ImageStore(temp.Root);

        Assert.Equal(["docker.io/library/busybox:latest"], image.Names);
        Assert.Equal(image.Manifest, store.Find("busybox")?.Manifest);
        Assert.Equal(image.Manifest, store.Find("busybox:latest")?.Manifest);
        Assert.Equal(image.Manifest, store.Find("docker.io/library/busybox:latest")?.Manifest);
        Assert.Equal(image.Manifest, store.Find(image.ConfigDigest.Hex[..4])?.Manifest);
        Assert.Equal(image.Manifest, store.Find(image.ShortId)?.Manifest);
        Assert.Equal(image.Manifest, store.Find(image.ConfigDigest.ToString())?.Manifest);
        Assert.Equal(image.Manifest, store.Find("sha256:" + image.ConfigDigest.Hex[..8])?.Manifest);
        Assert.Equal(image.Manifest, store.Find(image.Manifest.Digest.ToString())?.Manifest);
        Assert.Equal(image.Manifest, store.Find("busybox@" + image.Manifest.Digest)?.Manifest);
        Assert.Null(store.Find(image.ConfigDigest.Hex[..3]));
        Assert.Null(store.Find("busybox:other"));
        Assert.Null(store.Find("other"));
        var missing = Assert.Throws<ImageNotFoundException>(() => store.Require("other:1"));
        Assert.Contains("other:1", missing.Message);
    }

    [Fact]
    public void A_store_export_keeps_layers_uncompressed_and_records_the_top_snapshot()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = Build(temp, "example/app:1");
        var store = new ImageStore(temp.Root);
        var manifest = store.ReadManifest(image);
        Assert.All(manifest.Layers, l => Assert.Equal(MediaTypes.OciLayerTar, l.MediaType));
        Assert.Equal("top", image.TopSnapshot);
        Assert.Equal(manifest.Config.Size + manifest.Layers.Sum(l => l.Size), image.Size);
        Assert.Equal(manifest.Config.Digest, image.ConfigDigest);
    }

    [Fact]
    public void Tag_adds_a_name_and_moves_it_from_another_image_and_untag_removes_only_the_name()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = Build(temp, "example/app:1");
        var store = new ImageStore(temp.Root);
        store.Tag(image, ImageReference.Parse("localhost:5000/app:2"));
        Assert.Equal(["docker.io/example/app:1", "localhost:5000/app:2"], store.Find("example/app:1")!.Names);

        Assert.True(store.Untag(ImageReference.Parse("example/app:1")));
        Assert.False(store.Untag(ImageReference.Parse("example/app:1")));
        Assert.Null(store.Find("example/app:1"));
        Assert.Equal(image.Manifest, store.Find("localhost:5000/app:2")!.Manifest);
        Assert.Single(store.List());
    }

    [Fact]
    public void Gc_keeps_stored_images_and_after_remove_frees_only_what_no_other_image_uses()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var store = new ImageStore(temp.Root);
        var layers = TestImages.TwoLayers(temp);
        var exporter = new StoreExporter(store);
        var config = TestImages.Config();
        var full = exporter.Export(layers, "top", config, [ImageReference.Parse("app:full")]);
        var baseOnly = exporter.Export(["base"], "base", config with { History = [config.History[0]] }, [ImageReference.Parse("app:base")]);

        temp.Root.Gc.Collect();
        var fullManifest = store.ReadManifest(full);
        var baseManifest = store.ReadManifest(baseOnly);
        foreach (var blob in fullManifest.Layers.Append(fullManifest.Config).Append(full.Manifest).Concat(baseManifest.Layers))
        {
            // Layers are lazy (regenerated from their snapshots when read): available, not necessarily files.
            Assert.True(temp.Root.Content.IsAvailable(blob.Digest), $"GC removed {blob.Digest} of a stored image");
        }
        Assert.Equal(Snapshotter.Snapshots.SnapshotKind.Committed, SnapshotterKind(temp, "top"));

        store.Remove(full);
        var result = temp.Root.Gc.Collect();
        Assert.True(result.BlobsRemoved >= 2, $"expected the removed image's manifest and config to go, got {result}");
        Assert.False(temp.Root.Content.Exists(full.Manifest.Digest));
        Assert.False(temp.Root.Content.Exists(fullManifest.Config.Digest));
        Assert.False(temp.Root.Content.IsAvailable(fullManifest.Layers[1].Digest));
        Assert.True(temp.Root.Content.IsAvailable(baseManifest.Layers[0].Digest));
        Assert.True(temp.Root.Content.Exists(baseOnly.Manifest.Digest));
        Assert.Throws<KeyNotFoundException>(() => temp.Root.Snapshots.Stat("top"));
        Assert.Equal(baseOnly.Manifest, store.Find("app:base")!.Manifest);
        Assert.Null(store.Find("app:full"));
    }

    [Fact]
    public void Store_exports_with_source_date_epoch_give_identical_digests_across_data_roots()
    {
        Capabilities.RequireRoot();
        var digests = new List<(Digest Manifest, Digest Config)>();
        for (var i = 0; i < 2; i++)
        {
            using var temp = new TempDataRoot();
            var layers = TestImages.TwoLayers(temp);
            var options = StoreExporter.DefaultOptions with { SourceDateEpoch = 1_700_000_000 };
            var image = new StoreExporter(new ImageStore(temp.Root)).Export(layers, "top", TestImages.Config(), [ImageReference.Parse("app:1")], options);
            digests.Add((image.Manifest.Digest, image.ConfigDigest));
            Thread.Sleep(1100); // a second later: file times differ, the clamp must hide it
        }
        Assert.Equal(digests[0], digests[1]);
    }

    private static Snapshotter.Snapshots.SnapshotKind SnapshotterKind(TempDataRoot temp, string key) => temp.Root.Snapshots.Stat(key).Kind;
}
