using Builder.Exporter.Archives;
using Builder.Exporter.Loading;
using Builder.Exporter.Tests.Support;
using Builder.Oci.References;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>Outputs appear whole or not at all; <c>dest=-</c> streams.</summary>
public sealed class OutputTargetTests
{
    [Fact]
    public async Task An_interrupted_file_write_leaves_neither_the_file_nor_a_temp_file()
    {
        var dir = Directory.CreateTempSubdirectory("builder-export-").FullName;
        try
        {
            var path = Path.Combine(dir, "image.tar");
            var e = await Assert.ThrowsAsync<IOException>(() => OutputTarget.File(path).WriteAsync(async (s, ct) =>
            {
                await s.WriteAsync(new byte[100_000], ct);
                throw new IOException("disk full");
            }, TestContext.Current.CancellationToken));
            Assert.Equal("disk full", e.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_cancelled_export_leaves_no_final_file_or_directory()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config());
        var dir = temp.NewDir("out");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var images = new[] { ArchiveImage.From(image, ImageReference.Parse("app:1")) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new DockerArchiveWriter(temp.Root.Content).WriteAsync(images, OutputTarget.File(Path.Combine(dir, "d.tar")), cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new OciLayoutWriter(temp.Root.Content).WriteTarAsync(images, OutputTarget.File(Path.Combine(dir, "o.tar")), cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new OciLayoutWriter(temp.Root.Content).WriteDirectoryAsync(images, OutputTarget.File(Path.Combine(dir, "layout")), cts.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public async Task A_missing_blob_fails_before_anything_is_written()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config());
        temp.Root.Content.Delete(image.Document.Layers[1].Digest);
        var dir = temp.NewDir("out");
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => new DockerArchiveWriter(temp.Root.Content).WriteAsync(
            [ArchiveImage.From(image)], OutputTarget.File(Path.Combine(dir, "d.tar")), TestContext.Current.CancellationToken));
        Assert.Equal($"blob {image.Document.Layers[1].Digest} of image {image.Manifest.Digest} is not in the content store", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public async Task A_layout_directory_is_not_written_over_a_non_empty_one()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config());
        var dir = temp.NewDir("occupied");
        File.WriteAllText(Path.Combine(dir, "keep"), "mine");
        var e = await Assert.ThrowsAsync<IOException>(() => new OciLayoutWriter(temp.Root.Content).WriteDirectoryAsync(
            [ArchiveImage.From(image)], OutputTarget.File(dir), TestContext.Current.CancellationToken));
        Assert.Equal($"cannot write to {dir}: it exists and is not an empty directory", e.Message);
        Assert.Equal(["keep"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Dash_streams_to_the_given_stream_and_the_bytes_are_deterministic()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config());
        var images = new[] { ArchiveImage.From(image, ImageReference.Parse("app:1")) };
        using var first = new MemoryStream();
        using var second = new MemoryStream();
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync(images, OutputTarget.Parse("-", first), TestContext.Current.CancellationToken);
        await new DockerArchiveWriter(temp.Root.Content).WriteAsync(images, OutputTarget.Parse("-", second), TestContext.Current.CancellationToken);
        Assert.Equal(first.ToArray(), second.ToArray());

        using var other = new TempDataRoot();
        first.Position = 0;
        var loaded = Assert.Single(await new ArchiveLoader(other.Root).LoadAsync(first, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(image.Config.RootFs.DiffIds, loaded.Config.RootFs.DiffIds);
    }

    [Fact]
    public async Task Streams_that_cannot_seek_work_for_writing_and_loading()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var image = new ImageAssembler(temp.Root).Assemble(TestImages.TwoLayers(temp), TestImages.Config());
        using var buffer = new MemoryStream();
        await new OciLayoutWriter(temp.Root.Content).WriteTarAsync([ArchiveImage.From(image, ImageReference.Parse("app:1"))],
            OutputTarget.Parse("-", new ForwardOnlyStream(buffer)), TestContext.Current.CancellationToken);

        using var other = new TempDataRoot();
        buffer.Position = 0;
        var loaded = Assert.Single(await new ArchiveLoader(other.Root).LoadAsync(new ForwardOnlyStream(buffer), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(image.Manifest.Digest, loaded.Manifest.Digest);
        Assert.Equal(["docker.io/library/app:1"], loaded.Names);
    }
}
