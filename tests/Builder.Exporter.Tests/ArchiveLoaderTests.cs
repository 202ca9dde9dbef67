using Builder.Exporter.Archives;
using Builder.Exporter.Loading;
using Builder.Exporter.Tests.Support;
using Builder.Oci.References;
using Builder.Snapshotter.Mounts;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>Archives back into the store: ours, and the ones skopeo writes from ours.</summary>
public sealed class ArchiveLoaderTests
{
    private static (TempDataRoot Temp, AssembledImage Image) Image()
    {
        Capabilities.RequireRoot();
        var temp = new TempDataRoot();
        return (temp, new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config()));
    }

    /// <summary>Loads <paramref name="archive"/> into a fresh data root and checks diff ids, names and the unpacked tree.</summary>
    private static async Task LoadsTheSameImage(AssembledImage image, string archive, string expectedName)
    {
        using var other = new TempDataRoot();
        var loaded = Assert.Single(await new ArchiveLoader(other.Root).LoadAsync(archive, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(image.Config.RootFs.DiffIds, loaded.Config.RootFs.DiffIds);
        // skopeo writes RepoTags fully qualified, docker familiar: compare normalized; a bare tag (OCI ref.name) as is.
        Assert.Contains(loaded.Names, n => n == expectedName || (ImageReference.TryParse(n, out var r, out _) && r.ToString() == ImageReference.Parse(expectedName).ToString()));
        Assert.Equal(image.Config.Config.Cmd, loaded.Config.Config.Cmd);
        Assert.True(other.Root.Content.Exists(loaded.Manifest.Digest));
        var view = other.NewDir("view");
        using (MountedTree.Mount(other.Root.Snapshots.View("check", loaded.TopSnapshot), view))
        {
            Assert.Equal("hello\n", File.ReadAllText(Path.Combine(view, "etc/hello")));
            Assert.False(File.Exists(Path.Combine(view, "etc/gone")));
            Assert.Equal(100_000, new FileInfo(Path.Combine(view, "app/data")).Length);
        }
        // A second load reuses the snapshots named by chain id.
        var again = Assert.Single(await new ArchiveLoader(other.Root).LoadAsync(archive, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(loaded.TopSnapshot, again.TopSnapshot);
    }

    [Fact]
    public async Task Our_docker_archive_loads_back()
    {
        var (temp, image) = Image();
        using var _ = temp;
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync([ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"))],
            OutputTarget.File(archive), TestContext.Current.CancellationToken);
        await LoadsTheSameImage(image, archive, "example/app:1.0");
    }

    [Fact]
    public async Task Our_oci_archive_loads_back()
    {
        var (temp, image) = Image();
        using var _ = temp;
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new OciLayoutWriter(temp.Root.Content).WriteTarAsync([ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"))],
            OutputTarget.File(archive), TestContext.Current.CancellationToken);
        await LoadsTheSameImage(image, archive, "docker.io/example/app:1.0");
    }

    [Fact]
    public async Task A_docker_archive_written_by_skopeo_loads_with_the_same_diff_ids()
    {
        var (temp, image) = Image();
        using var _ = temp;
        Tools.Require("skopeo");
        var ours = Path.Combine(temp.NewDir("out"), "ours.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync([ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"))],
            OutputTarget.File(ours), TestContext.Current.CancellationToken);
        var theirs = Path.Combine(temp.NewDir("skopeo"), "theirs.tar");
        Tools.Run($"skopeo copy docker-archive:{ours} docker-archive:{theirs}:example/copied:2.0");
        await LoadsTheSameImage(image, theirs, "example/copied:2.0");
    }

    [Fact]
    public async Task An_oci_archive_written_by_skopeo_loads_with_the_same_diff_ids()
    {
        var (temp, image) = Image();
        using var _ = temp;
        Tools.Require("skopeo");
        var ours = Path.Combine(temp.NewDir("out"), "ours.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync([ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"))],
            OutputTarget.File(ours), TestContext.Current.CancellationToken);
        var theirs = Path.Combine(temp.NewDir("skopeo"), "theirs.tar");
        Tools.Run($"skopeo copy docker-archive:{ours} oci-archive:{theirs}:v2");
        await LoadsTheSameImage(image, theirs, "v2");
    }

    [Fact]
    public async Task A_layer_whose_diff_id_differs_from_the_config_is_refused_and_leaves_no_snapshot()
    {
        var (temp, image) = Image();
        using var _ = temp;
        var badConfig = image.Config with { RootFs = image.Config.RootFs with { DiffIds = image.Config.RootFs.DiffIds.Reverse().ToArray() } };
        var bad = new ImageAssembler(temp.Root).Assemble(["base", "top"], TestImages.Config());
        // Write an archive whose config lists the diff ids in the wrong order.
        var layers = bad.Document.Layers;
        var configBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(badConfig, Oci.Image.ImageJsonContext.Default.ImageConfig);
        var dir = temp.NewDir("bad");
        var archive = Path.Combine(dir, "bad.tar");
        await using (var file = File.Create(archive))
        await using (var tar = new System.Formats.Tar.TarWriter(file))
        {
            var configHex = Oci.Digest.Sha256Of(configBytes).Hex;
            await tar.WriteEntryAsync(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, configHex + ".json") { DataStream = new MemoryStream(configBytes) }, TestContext.Current.CancellationToken);
            foreach (var l in layers)
            {
                await tar.WriteEntryAsync(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, l.Digest.Hex + ".tar.gz") { DataStream = temp.Root.Content.OpenRead(l.Digest) }, TestContext.Current.CancellationToken);
            }
            var manifest = $$"""[{"Config":"{{configHex}}.json","RepoTags":["bad:1"],"Layers":[{{string.Join(",", layers.Select(l => $"\"{l.Digest.Hex}.tar.gz\""))}}]}]""";
            await tar.WriteEntryAsync(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json") { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(manifest)) }, TestContext.Current.CancellationToken);
        }
        using var other = new TempDataRoot();
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ArchiveLoader(other.Root).LoadAsync(archive, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("but the config says", e.Message, StringComparison.Ordinal);
        Assert.Empty(other.Root.Snapshots.Walk());
    }

    [Fact]
    public async Task An_archive_without_manifest_or_index_is_refused()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        using var empty = new MemoryStream(new byte[1024]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ArchiveLoader(temp.Root).LoadAsync(empty, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal("not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI layout)", e.Message);
    }

    [Fact]
    public async Task Several_images_in_one_docker_archive_are_listed_by_skopeo_and_all_load()
    {
        var (temp, image) = Image();
        using var _ = temp;
        Tools.Require("skopeo");
        var baseOnly = new ImageAssembler(temp.Root).Assemble(["base"], TestImages.Config() with { History = [] });
        var archive = Path.Combine(temp.NewDir("out"), "save.tar");
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync(
            [ArchiveImage.From(image, ImageReference.Parse("example/app:1.0"), ImageReference.Parse("example/app:latest")), ArchiveImage.From(baseOnly, ImageReference.Parse("example/base:1"))],
            OutputTarget.File(archive), TestContext.Current.CancellationToken);

        using var top = System.Text.Json.JsonDocument.Parse(Tools.Run($"skopeo inspect --config docker-archive:{archive}:example/app:latest"));
        Assert.Equal(2, top.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());
        using var bottom = System.Text.Json.JsonDocument.Parse(Tools.Run($"skopeo inspect --config docker-archive:{archive}:example/base:1"));
        Assert.Equal(1, bottom.RootElement.GetProperty("rootfs").GetProperty("diff_ids").GetArrayLength());

        using var other = new TempDataRoot();
        var loaded = await new ArchiveLoader(other.Root).LoadAsync(archive, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, loaded.Count);
        Assert.Equal(["example/app:1.0", "example/app:latest"], loaded[0].Names);
        Assert.Equal(["example/base:1"], loaded[1].Names);
        Assert.Equal(loaded[1].TopSnapshot, other.Root.Snapshots.Stat(loaded[0].TopSnapshot!).Parent); // the base layer's snapshot is shared
    }

    [Fact]
    public async Task A_lease_keeps_what_a_load_made_through_garbage_collection()
    {
        var (temp, image) = Image();
        using var _ = temp;
        var archive = Path.Combine(temp.NewDir("out"), "image.tar");
        await new OciLayoutWriter(temp.Root.Content).WriteTarAsync([ArchiveImage.From(image)], OutputTarget.File(archive), TestContext.Current.CancellationToken);

        using var other = new TempDataRoot();
        using var lease = other.Root.Gc.CreateLease();
        var loaded = Assert.Single(await new ArchiveLoader(other.Root).LoadAsync(archive, lease, TestContext.Current.CancellationToken));
        other.Root.Gc.Collect();
        Assert.True(other.Root.Content.Exists(loaded.Manifest.Digest));
        Assert.True(other.Root.Content.Exists(loaded.Document.Config.Digest));
        Assert.All(loaded.Document.Layers, l => Assert.True(other.Root.Content.Exists(l.Digest)));
        Assert.Equal(Snapshotter.Snapshots.SnapshotKind.Committed, other.Root.Snapshots.Stat(loaded.TopSnapshot!).Kind);
    }

    [Fact]
    public async Task A_blob_whose_bytes_do_not_match_its_name_is_refused_and_not_stored()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var claimed = Oci.Digest.Sha256Of("the real content"u8);
        var archive = Path.Combine(temp.NewDir("bad"), "bad.tar");
        await using (var file = File.Create(archive))
        await using (var tar = new System.Formats.Tar.TarWriter(file))
        {
            await tar.WriteEntryAsync(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "blobs/sha256/" + claimed.Hex)
            {
                DataStream = new MemoryStream("tampered content"u8.ToArray()),
            }, TestContext.Current.CancellationToken);
        }
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ArchiveLoader(temp.Root).LoadAsync(archive, cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith($"digest mismatch: expected {claimed}", e.Message, StringComparison.Ordinal);
        Assert.False(temp.Root.Content.Exists(claimed));
        Assert.Empty(temp.Root.Content.List());
    }
}
