using System.Security.Cryptography;
using Builder.Oci;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Layers;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;
using static Builder.Snapshotter.Tests.Support.SnapshotMounts;

namespace Builder.Snapshotter.Tests.Layers;

/// <summary>
/// Lazy layers: <see cref="LayerStore.Describe"/> records an uncompressed layer's digest without writing it, and
/// the content store regenerates the blob from the snapshot when it is read, verified against that digest.
/// </summary>
public sealed class LazyLayerTests
{
    public static TheoryData<bool> Drivers => new() { true, false };

    private static TempDataRoot Open(bool overlay)
    {
        Capabilities.RequireRoot();
        return new TempDataRoot(overlay);
    }

    /// <summary>"base" (a rich tree) and "top" on it (a 9 MiB file, more than the hasher's buffers, and a deletion).</summary>
    private static void TwoLayers(TempDataRoot temp)
    {
        Layer(temp, "base", null, LayerDiffTests.MakeRichTree);
        Layer(temp, "top", "base", d =>
        {
            var big = new byte[9 << 20];
            new Random(7).NextBytes(big);
            File.WriteAllBytes(Path.Combine(d, "big.bin"), big);
            File.Delete(Path.Combine(d, "etc/passwd"));
        });
    }

    private static Digest Sha256Of(Stream stream) => Digest.FromSha256Bytes(SHA256.HashData(stream));

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Describe_writes_no_blob_and_reading_it_regenerates_exactly_the_recorded_bytes(bool overlay)
    {
        using var temp = Open(overlay);
        TwoLayers(temp);
        var blobsBefore = temp.Root.Content.List().Count();

        var layers = new[] { temp.Root.Layers.Describe("base"), temp.Root.Layers.Describe("top") };

        Assert.Equal(blobsBefore, temp.Root.Content.List().Count());
        foreach (var layer in layers)
        {
            Assert.Equal(layer.Digest, layer.DiffId);
            Assert.Equal(MediaTypes.OciLayerTar, layer.MediaType);
            Assert.False(temp.Root.Content.Exists(layer.Digest));
            Assert.True(temp.Root.Content.IsAvailable(layer.Digest));
            Assert.Equal(layer.Size, temp.Root.Content.AvailableSize(layer.Digest));
        }
        Assert.True(layers[1].Size > 9 << 20);

        // Streamed without storing: the bytes hash to the recorded digest.
        using (var streamed = new MemoryStream())
        {
            temp.Root.Content.WriteTo(layers[1].Digest, streamed);
            Assert.Equal(layers[1].Size, streamed.Length);
            streamed.Position = 0;
            Assert.Equal(layers[1].Digest, Sha256Of(streamed));
        }
        Assert.False(temp.Root.Content.Exists(layers[1].Digest));

        // Read: materialized into the store once, with the recorded digest and size.
        using (var blob = temp.Root.Content.OpenRead(layers[1].Digest))
        {
            Assert.Equal(layers[1].Digest, Sha256Of(blob));
        }
        Assert.True(temp.Root.Content.Exists(layers[1].Digest));
        Assert.Equal(layers[1].Size, temp.Root.Content.Info(layers[1].Digest)!.Size);

        // The same bytes an eager export writes (and it reuses the description rather than recomputing).
        Assert.Equal(layers[0], temp.Root.Layers.Export("base", new LayerExportOptions { Compression = LayerCompression.None }));
        Assert.True(temp.Root.Content.Exists(layers[0].Digest));
    }

    [Fact]
    public void Describe_gives_the_digest_of_an_eager_export_of_the_same_tree_in_another_data_root()
    {
        using var lazy = Open(overlay: true);
        using var eager = Open(overlay: true);
        var epoch = 1_700_000_000L;
        foreach (var temp in new[] { lazy, eager })
        {
            TwoLayers(temp);
        }
        var described = lazy.Root.Layers.Describe("top", epoch);
        var exported = eager.Root.Layers.Export("top", new LayerExportOptions { Compression = LayerCompression.None, SourceDateEpoch = epoch });
        Assert.Equal(exported.Digest, described.Digest);
        Assert.Equal(exported.Size, described.Size);
        // SOURCE_DATE_EPOCH is part of the recipe: the regenerated blob is clamped the same way.
        using var blob = lazy.Root.Content.OpenRead(described.Digest);
        Assert.Equal(described.Digest, Sha256Of(blob));
    }

    [Fact]
    public void A_changed_snapshot_fails_with_a_clear_error_and_no_blob_is_stored()
    {
        using var temp = Open(overlay: true);
        TwoLayers(temp);
        var layer = temp.Root.Layers.Describe("top");
        // Tamper with the committed snapshot behind the builder's back.
        var big = Path.Combine(temp.Root.Snapshots.FsPath("top"), "big.bin");
        using (var file = new FileStream(big, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Seek(1234, SeekOrigin.Begin);
            var original = file.ReadByte();
            file.Seek(1234, SeekOrigin.Begin);
            file.WriteByte((byte)~original); // same size, one byte differs
        }

        var read = Assert.Throws<InvalidDataException>(() => temp.Root.Content.OpenRead(layer.Digest).Dispose());
        Assert.Contains(layer.Digest.ToString(), read.Message);
        Assert.Contains("snapshot 'top'", read.Message);
        Assert.Contains("changed outside the builder", read.Message);
        Assert.False(temp.Root.Content.Exists(layer.Digest));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(temp.Root.Path, "tmp")));

        var streamed = Assert.Throws<InvalidDataException>(() => temp.Root.Content.WriteTo(layer.Digest, Stream.Null));
        Assert.Contains("cannot be regenerated", streamed.Message);
        Assert.Throws<InvalidDataException>(() => temp.Root.Layers.Export("top", new LayerExportOptions { Compression = LayerCompression.None }));
        Assert.False(temp.Root.Content.Exists(layer.Digest));
    }

    [Fact]
    public void A_removed_snapshot_leaves_no_recipe_and_reading_the_blob_says_it_is_missing()
    {
        using var temp = Open(overlay: true);
        Layer(temp, "only", null, d => File.WriteAllText(Path.Combine(d, "f"), "f"));
        var layer = temp.Root.Layers.Describe("only");
        temp.Root.Snapshots.Remove("only");
        Assert.False(temp.Root.Content.IsAvailable(layer.Digest));
        Assert.Throws<FileNotFoundException>(() => temp.Root.Content.OpenRead(layer.Digest));
    }

    [Fact]
    public void Gc_keeps_a_lazy_layers_snapshot_while_referenced_and_then_removes_it_with_its_recipe()
    {
        using var temp = Open(overlay: true);
        TwoLayers(temp);
        var layer = temp.Root.Layers.Describe("top");
        temp.Root.Gc.AddReference(ReferenceOwner.Image, "img", ResourceKind.Blob, layer.Digest.ToString());
        temp.Root.Gc.AddReference(ReferenceOwner.Image, "img", ResourceKind.Snapshot, "top");

        temp.Root.Gc.Collect();
        using (var blob = temp.Root.Content.OpenRead(layer.Digest))
        {
            Assert.Equal(layer.Digest, Sha256Of(blob));
        }

        temp.Root.Gc.RemoveReferences(ReferenceOwner.Image, "img");
        temp.Root.Gc.Collect();
        Assert.Empty(temp.Root.Snapshots.Walk());
        Assert.False(temp.Root.Content.IsAvailable(layer.Digest));
    }
}
