using Builder.Exporter.Archives;
using Builder.Exporter.Store;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Oci.Registry;

namespace Builder.Exporter.Outputs;

/// <summary>What a build produced, as the exporters need it.</summary>
/// <param name="LayerSnapshots">Committed snapshots, base layer first; each one's diff against its parent is a layer.</param>
/// <param name="TopSnapshot">The committed snapshot of the final root filesystem; null for an empty one.</param>
/// <param name="Config">The image config the frontend made (history filled; rootfs is computed).</param>
/// <param name="Names">Names given with <c>-t</c>; used when the output names none itself.</param>
public sealed record BuildResult(IReadOnlyList<string> LayerSnapshots, string? TopSnapshot, ImageConfig Config, IReadOnlyList<string> Names);

/// <summary>What an export made, for <c>--metadata-file</c> (null fields are omitted there).</summary>
public sealed record ExportResult(string? ManifestDigest, string? ConfigDigest, IReadOnlyList<string> ImageNames)
{
    /// <summary>The keys BuildKit writes: containerimage.digest, containerimage.config.digest, image.name (comma-separated).</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (ManifestDigest is not null)
        {
            metadata["containerimage.digest"] = ManifestDigest;
        }
        if (ConfigDigest is not null)
        {
            metadata["containerimage.config.digest"] = ConfigDigest;
        }
        if (ImageNames.Count > 0)
        {
            metadata["image.name"] = string.Join(',', ImageNames);
        }
        return metadata;
    }
}

/// <summary>
/// Performs one <c>--output</c> for a build result: <c>image</c> (the local store, pushed with push=true),
/// <c>registry</c> (store and push), <c>docker</c> and <c>oci</c> (archives or a layout directory), <c>local</c>
/// (the root filesystem as files) and <c>tar</c> (the same as one tar). <c>dest=-</c> streams to the given stdout.
/// </summary>
public sealed class ImageExporter
{
    private readonly ImageStore _store;
    private readonly RegistryClient? _client;
    private readonly Stream _stdout;

    /// <param name="client">The registry client for pushes; null when pushing is not possible (push outputs then fail).</param>
    /// <param name="stdout">Where <c>dest=-</c> goes.</param>
    public ImageExporter(ImageStore store, RegistryClient? client, Stream stdout)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(stdout);
        _store = store;
        _client = client;
        _stdout = stdout;
    }

    public async Task<ExportResult> ExportAsync(OutputSpec spec, BuildResult result, long? sourceDateEpoch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(result);
        var names = (spec.Names.Count > 0 ? spec.Names : result.Names).Select(ParseName).ToList();
        switch (spec.Type)
        {
            case OutputType.Image:
            case OutputType.Registry:
                return await ExportToStoreAsync(spec, result, names, push: spec.Push || spec.Type == OutputType.Registry, sourceDateEpoch, cancellationToken).ConfigureAwait(false);
            case OutputType.Docker:
            case OutputType.Oci:
                return await ExportArchiveAsync(spec, result, names, sourceDateEpoch, cancellationToken).ConfigureAwait(false);
            case OutputType.Local:
                await new RootfsExporter(_store.Root).WriteDirectoryAsync(result.TopSnapshot, OutputTarget.File(spec.Dest!), cancellationToken).ConfigureAwait(false);
                return new ExportResult(null, null, []);
            case OutputType.Tar:
                await new RootfsExporter(_store.Root).WriteTarAsync(result.TopSnapshot, OutputTarget.Parse(spec.Dest!, _stdout), sourceDateEpoch, cancellationToken).ConfigureAwait(false);
                return new ExportResult(null, null, []);
            default:
                throw new ArgumentOutOfRangeException(nameof(spec), spec.Type, "unknown output type");
        }
    }

    private async Task<ExportResult> ExportToStoreAsync(OutputSpec spec, BuildResult result, List<ImageReference> names, bool push, long? sourceDateEpoch, CancellationToken cancellationToken)
    {
        if (push && names.Count == 0)
        {
            throw new ArgumentException($"type={spec.Type.ToString().ToLowerInvariant()} with push needs a name (name=REFERENCE or -t)", nameof(spec));
        }
        var options = StoreExporter.DefaultOptions with
        {
            OciMediaTypes = spec.OciMediaTypes,
            SourceDateEpoch = sourceDateEpoch,
            Annotations = spec.Annotations.Count > 0 ? spec.Annotations : null,
        };
        var image = new StoreExporter(_store).Export(result.LayerSnapshots, result.TopSnapshot, result.Config, names, options);
        var manifestDigest = image.Manifest.Digest.ToString();
        if (push)
        {
            var client = _client ?? throw new InvalidOperationException("pushing needs a registry client");
            var pusher = new ImagePusher(_store, client);
            foreach (var name in names)
            {
                var pushed = await pusher.PushAsync(image, name, spec.Compression, cancellationToken).ConfigureAwait(false);
                manifestDigest = pushed.Digest.ToString();
            }
        }
        return new ExportResult(manifestDigest, image.ConfigDigest.ToString(), names.Select(n => n.ToString()).ToList());
    }

    private async Task<ExportResult> ExportArchiveAsync(OutputSpec spec, BuildResult result, List<ImageReference> names, long? sourceDateEpoch, CancellationToken cancellationToken)
    {
        var options = spec.ToImageExportOptions(sourceDateEpoch) with { KeepBaseLayerBlobs = !spec.ForceCompression };
        // Leased: the archive's blobs belong to no stored image, and a GC must not take them mid-write.
        using var lease = _store.Root.Gc.CreateLease(TimeSpan.FromHours(6));
        var image = new ImageAssembler(_store.Root).Assemble(result.LayerSnapshots, result.Config, options, lease);
        var archive = new[] { new ArchiveImage(image.Manifest, names) };
        var target = OutputTarget.Parse(spec.Dest!, _stdout);
        if (spec.Type == OutputType.Docker)
        {
            await new DockerArchiveWriter(_store.Root.Content).WriteAsync(archive, target, cancellationToken).ConfigureAwait(false);
        }
        else if (spec.Tar)
        {
            await new OciLayoutWriter(_store.Root.Content).WriteTarAsync(archive, target, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await new OciLayoutWriter(_store.Root.Content).WriteDirectoryAsync(archive, target, cancellationToken).ConfigureAwait(false);
        }
        return new ExportResult(image.Manifest.Digest.ToString(), image.ConfigDigest.ToString(), names.Select(n => n.ToString()).ToList());
    }

    private static ImageReference ParseName(string name) =>
        ImageReference.TryParse(name, out var reference, out var error) ? reference : throw new FormatException($"invalid image name '{name}': {error}");
}
