using System.Text.Json;
using Builder.Oci.Manifests;
using Builder.Snapshotter.Content;

namespace Builder.Exporter.Archives;

/// <summary>
/// <c>type=docker</c> and <c>builder save</c>: the archive `docker save` of Docker 25+ writes, an OCI image
/// layout plus <c>manifest.json</c> (Config, RepoTags, Layers as paths under blobs/sha256). `docker load`
/// and <c>skopeo copy docker-archive:</c> read manifest.json; OCI tools read the same file as a layout.
/// Layers stay compressed as stored: both loaders detect and decompress them.
/// </summary>
public sealed class DockerArchiveWriter
{
    private readonly ContentStore _content;
    private readonly ImageLayout _layout;

    public DockerArchiveWriter(ContentStore content)
    {
        ArgumentNullException.ThrowIfNull(content);
        _content = content;
        _layout = new ImageLayout(content);
    }

    public async Task WriteAsync(IReadOnlyList<ArchiveImage> images, OutputTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var resolved = _layout.Resolve(images);
        await target.WriteAsync(async (stream, ct) =>
        {
            await using var sink = new TarLayoutSink(stream, _content);
            await _layout.WriteAsync(sink, resolved, ct).ConfigureAwait(false);
            await sink.WriteFileAsync(LayoutPaths.DockerManifest, DockerManifestJson(resolved), ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] DockerManifestJson(IReadOnlyList<(ArchiveImage Image, ImageManifest Manifest)> images)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (image, manifest) in images)
            {
                json.WriteStartObject();
                json.WriteString("Config", LayoutPaths.Blob(manifest.Config.Digest));
                json.WriteStartArray("RepoTags");
                // docker load shows and tags familiar names (busybox:latest); a digest-only name cannot be a tag.
                foreach (var name in image.Names.Where(n => n.Tag is not null && n.Digest is null))
                {
                    json.WriteStringValue(name.ToFamiliarString());
                }
                json.WriteEndArray();
                json.WriteStartArray("Layers");
                foreach (var layer in manifest.Layers)
                {
                    json.WriteStringValue(LayoutPaths.Blob(layer.Digest));
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }
}
