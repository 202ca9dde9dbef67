using Builder.Oci;
using Builder.Snapshotter.Content;

namespace Builder.Exporter.Archives;

/// <summary>Writes layout files into a directory (the caller's temp directory, renamed when complete).</summary>
internal sealed class DirectoryLayoutSink(string root, ContentStore content) : ILayoutSink
{
    public async Task WriteFileAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var path = Prepare(name);
        await File.WriteAllBytesAsync(path, bytes.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteBlobAsync(Digest digest, CancellationToken cancellationToken)
    {
        var path = Prepare(LayoutPaths.Blob(digest));
        await using var source = content.OpenRead(digest);
        await using var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await source.CopyToAsync(target, 1 << 20, cancellationToken).ConfigureAwait(false);
    }

    private string Prepare(string name)
    {
        var path = Path.Combine(root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }
}
