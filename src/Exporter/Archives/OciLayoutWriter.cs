using Builder.Snapshotter.Content;

namespace Builder.Exporter.Archives;

/// <summary>
/// <c>type=oci</c>: an OCI image layout as a tarball (<c>skopeo copy oci-archive:</c>) or, with
/// <c>tar=false</c>, as a directory (<c>oci:DIR:tag</c>, <c>umoci unpack --image DIR:tag</c>).
/// </summary>
public sealed class OciLayoutWriter
{
    private readonly ContentStore _content;
    private readonly ImageLayout _layout;

    public OciLayoutWriter(ContentStore content)
    {
        ArgumentNullException.ThrowIfNull(content);
        _content = content;
        _layout = new ImageLayout(content);
    }

    public async Task WriteTarAsync(IReadOnlyList<ArchiveImage> images, OutputTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var resolved = _layout.Resolve(images);
        await target.WriteAsync(async (stream, ct) =>
        {
            await using var sink = new TarLayoutSink(stream, _content);
            await _layout.WriteAsync(sink, resolved, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteDirectoryAsync(IReadOnlyList<ArchiveImage> images, OutputTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var resolved = _layout.Resolve(images);
        await target.WriteDirectoryAsync(
            (dir, ct) => _layout.WriteAsync(new DirectoryLayoutSink(dir, _content), resolved, ct),
            cancellationToken).ConfigureAwait(false);
    }
}
