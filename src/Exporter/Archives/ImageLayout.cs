using Builder.Oci;
using Builder.Oci.Manifests;
using Builder.Snapshotter.Content;

namespace Builder.Exporter.Archives;

/// <summary>
/// The OCI image layout of a set of images: every blob once under blobs/sha256, <c>index.json</c> with one
/// entry per name (<c>org.opencontainers.image.ref.name</c> = the tag, as skopeo and umoci look it up), and
/// <c>oci-layout</c>. Shared by the OCI writer and the docker-archive writer (which adds manifest.json).
/// </summary>
internal sealed class ImageLayout
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    public const string ImageNameAnnotation = "io.containerd.image.name";

    private readonly ContentStore _content;

    public ImageLayout(ContentStore content) => _content = content;

    /// <summary>Reads each image's manifest from the content store; fails before anything is written when one is missing or not an image.</summary>
    public IReadOnlyList<(ArchiveImage Image, ImageManifest Manifest)> Resolve(IReadOnlyList<ArchiveImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("an archive needs at least one image", nameof(images));
        }
        var resolved = new List<(ArchiveImage, ImageManifest)>(images.Count);
        foreach (var image in images)
        {
            if (!MediaTypes.IsImageManifest(image.Manifest.MediaType))
            {
                throw new ArgumentException($"{image.Manifest.Digest} is a {image.Manifest.MediaType}, not an image manifest", nameof(images));
            }
            using var stream = _content.OpenRead(image.Manifest.Digest);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var manifest = ManifestDocument.Parse(buffer.ToArray(), image.Manifest.MediaType).Manifest!;
            foreach (var blob in manifest.Layers.Append(manifest.Config))
            {
                if (!_content.IsAvailable(blob.Digest))
                {
                    throw new FileNotFoundException($"blob {blob.Digest} of image {image.Manifest.Digest} is not in the content store");
                }
            }
            resolved.Add((image, manifest));
        }
        return resolved;
    }

    /// <summary>Writes the blobs (layers first, then configs and manifests), then index.json and oci-layout.</summary>
    public async Task WriteAsync(ILayoutSink sink, IReadOnlyList<(ArchiveImage Image, ImageManifest Manifest)> images, CancellationToken cancellationToken)
    {
        var written = new HashSet<Digest>();
        foreach (var (image, manifest) in images)
        {
            foreach (var digest in manifest.Layers.Select(l => l.Digest).Append(manifest.Config.Digest).Append(image.Manifest.Digest))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (written.Add(digest))
                {
                    await sink.WriteBlobAsync(digest, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        await sink.WriteFileAsync(LayoutPaths.Index, IndexOf(images.Select(i => i.Image)).ToJsonBytes(), cancellationToken).ConfigureAwait(false);
        await sink.WriteFileAsync(LayoutPaths.OciLayout, LayoutPaths.OciLayoutBytes, cancellationToken).ConfigureAwait(false);
    }

    private static ImageIndex IndexOf(IEnumerable<ArchiveImage> images)
    {
        var entries = new List<Descriptor>();
        foreach (var image in images)
        {
            var manifest = new Descriptor(image.Manifest.MediaType, image.Manifest.Digest, image.Manifest.Size);
            if (image.Names.Count == 0)
            {
                entries.Add(manifest);
                continue;
            }
            foreach (var name in image.Names)
            {
                var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ImageNameAnnotation] = name.ToString() };
                if (name.Tag is not null)
                {
                    annotations[RefNameAnnotation] = name.Tag;
                }
                entries.Add(manifest with { Annotations = annotations });
            }
        }
        return new ImageIndex { Manifests = entries };
    }
}
