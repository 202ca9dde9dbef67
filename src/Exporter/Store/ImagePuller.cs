using System.Collections.Concurrent;
using Builder.Exporter.Loading;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Snapshotter;
using Builder.Snapshotter.Gc;
using Builder.Solver.Sources;

namespace Builder.Exporter.Store;

/// <summary>A base image could not be had: the registry failed and the pull policy allows no local copy (or there is none).</summary>
public sealed class ImagePullException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>
/// Gets images from registries into the local store: resolves the reference for a platform (index → that
/// platform's manifest), downloads only the blobs the content store lacks (under a lease), applies the layers
/// as <c>layers/&lt;chainid&gt;</c> snapshots and records the image under its name. A pull for a build unpacks at
/// once; <c>builder pull</c> stores the blobs only (as skopeo copy does, and as BuildKit pulls lazily), and the
/// first build or run that needs the root filesystem unpacks it (<see cref="UnpackedAsync"/>). Concurrent
/// requests for the same reference share one pull, and for the same image one unpack. A warm pull whose blobs
/// are all present costs one manifest request.
/// </summary>
public sealed class ImagePuller : IImageSource, IDisposable
{
    private const int ParallelDownloads = 3;
    private const long MaxConfigSize = 8 * 1024 * 1024;

    private readonly DataRoot _root;
    private readonly ImageStore _store;
    private readonly RegistryClient _client;
    private readonly LayerUnpacker _unpacker;
    private readonly Lazy<RegistryClient> _noRetryClient;
    private readonly ConcurrentDictionary<string, Lazy<Task<StoredImage>>> _pulls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<StoredImage>>> _unpacks = new(StringComparer.Ordinal);

    public ImagePuller(ImageStore store, RegistryClient client)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(client);
        _store = store;
        _root = store.Root;
        _client = client;
        _unpacker = new LayerUnpacker(_root);
        // With a local copy to fall back on, an unreachable registry must not cost the retry backoff on every build.
        _noRetryClient = new Lazy<RegistryClient>(() => new RegistryClient(client.Options with { MaxRetries = 0 }));
    }

    /// <summary>Disposes the extra client made for retry-free manifest requests (the given client stays the caller's).</summary>
    public void Dispose()
    {
        if (_noRetryClient.IsValueCreated)
        {
            _noRetryClient.Value.Dispose();
        }
    }

    /// <inheritdoc />
    public async Task<SourceImage> GetAsync(ImageReference reference, Platform platform, PullPolicy policy, Action<string>? warn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(platform);
        StoredImage image;
        var before = _store.FindByName(reference);
        if (policy == PullPolicy.Never)
        {
            image = _store.FindByName(reference)
                ?? throw new ImagePullException($"image {reference.ToFamiliarString()} is not in the local store, and the pull policy 'never' forbids asking registry {reference.Registry}");
        }
        else
        {
            try
            {
                var fallback = policy == PullPolicy.Default && _store.FindByName(reference) is not null;
                image = await PullAsync(reference, platform, quickManifest: fallback, unpack: true, cancellationToken).ConfigureAwait(false);
            }
            catch (ImagePullException e) when (policy == PullPolicy.Default && _store.FindByName(reference) is { } local)
            {
                warn?.Invoke($"using the local copy of {reference.ToFamiliarString()} ({local.ShortId}) because registry {reference.Registry} failed: {e.InnerException?.Message ?? e.Message}");
                image = local;
            }
        }
        image = await UnpackedAsync(image, cancellationToken).ConfigureAwait(false); // a local copy may be blobs only
        var config = _store.ReadConfig(image);
        var fetched = before is null || before.Manifest.Digest != image.Manifest.Digest || before.TopSnapshot != image.TopSnapshot;
        return new SourceImage(reference, image.Manifest.Digest.ToString(), config, image.TopSnapshot) { Fetched = fetched };
    }

    /// <summary>
    /// Pulls <paramref name="reference"/> for <paramref name="platform"/> from its registry into the store. Any
    /// failure (unreachable, not found, denied, bad content) throws <see cref="ImagePullException"/> naming the
    /// registry, repository, tag and cause.
    /// </summary>
    public Task<StoredImage> PullAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken = default) =>
        PullAsync(reference, platform, unpack: true, cancellationToken);

    /// <summary>
    /// Pulls as <see cref="PullAsync(ImageReference, Platform, CancellationToken)"/> does; with
    /// <paramref name="unpack"/> false only the blobs are stored and verified, and the image's layers become
    /// snapshots when something first needs its root filesystem (<see cref="UnpackedAsync"/>).
    /// </summary>
    public Task<StoredImage> PullAsync(ImageReference reference, Platform platform, bool unpack, CancellationToken cancellationToken = default) =>
        PullAsync(reference, platform, quickManifest: false, unpack, cancellationToken);

    /// <summary>
    /// <paramref name="image"/> with its layers applied as snapshots (its <see cref="StoredImage.TopSnapshot"/> set),
    /// applying the ones missing first: an image stored by a blobs-only pull is unpacked by the first build or run
    /// that uses it. Concurrent callers for one image share one unpack. The blobs must be in the content store.
    /// An image with a top snapshot is returned as it is, without any I/O: the image's GC reference keeps that
    /// snapshot and its parents.
    /// </summary>
    public Task<StoredImage> UnpackedAsync(StoredImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.TopSnapshot is not null)
        {
            return Task.FromResult(image);
        }
        var config = _store.ReadConfig(image);
        if (config.RootFs.DiffIds.Count == 0)
        {
            return Task.FromResult(image);
        }
        var key = image.Manifest.Digest.ToString();
        var lazy = _unpacks.GetOrAdd(key, digest => new Lazy<Task<StoredImage>>(() => Task.Run(() =>
        {
            try
            {
                using var lease = _root.Gc.CreateLease(TimeSpan.FromHours(6));
                var manifest = _store.ReadManifest(image);
                var top = _unpacker.Unpack(manifest, config, lease, CancellationToken.None);
                return _store.Record(image.Manifest, manifest, config, top, []);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                var name = image.Names.Count > 0 ? image.Names[0] : image.ShortId;
                throw new ImagePullException($"cannot unpack image {name} ({image.Manifest.Digest}): {e.Message}", e);
            }
            finally
            {
                _unpacks.TryRemove(digest, out _);
            }
        }, CancellationToken.None)));
        // Like a pull, the shared unpack is not tied to one caller's token.
        return lazy.Value.WaitAsync(cancellationToken);
    }

    /// <param name="quickManifest">True asks for the manifest once, without retries (a local copy can stand in).</param>
    /// <param name="unpack">False stores the blobs only.</param>
    private Task<StoredImage> PullAsync(ImageReference reference, Platform platform, bool quickManifest, bool unpack, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(platform);
        var key = reference + "|" + platform + "|" + quickManifest + "|" + unpack;
        var lazy = _pulls.GetOrAdd(key, _ => new Lazy<Task<StoredImage>>(() => RunPullAsync(key, reference, platform, quickManifest, unpack)));
        // The shared pull is not tied to one caller's token: another caller may still want it.
        return lazy.Value.WaitAsync(cancellationToken);
    }

    private async Task<StoredImage> RunPullAsync(string key, ImageReference reference, Platform platform, bool quickManifest, bool unpack)
    {
        try
        {
            return await PullCoreAsync(reference, platform, quickManifest, unpack, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ImagePullException)
        {
            var what = reference.Digest ?? reference.Tag ?? ImageReference.DefaultTag;
            throw new ImagePullException($"cannot pull {reference.ToFamiliarString()} from registry {reference.Registry} (repository {reference.Repository}, {(reference.Digest is null ? "tag" : "digest")} {what}): {e.Message}", e);
        }
        finally
        {
            _pulls.TryRemove(key, out _);
        }
    }

    private async Task<StoredImage> PullCoreAsync(ImageReference reference, Platform platform, bool quickManifest, bool unpack, CancellationToken cancellationToken)
    {
        var repository = _client.GetRepository(reference);
        var document = await (quickManifest ? _noRetryClient.Value.GetRepository(reference) : repository).Manifests.GetAsync(reference.Digest ?? reference.Tag ?? ImageReference.DefaultTag, cancellationToken).ConfigureAwait(false);
        using var lease = _root.Gc.CreateLease(TimeSpan.FromHours(6));
        if (document.IsIndex)
        {
            var selected = PlatformMatching.SelectManifest(document.Index!, platform)
                ?? throw new ImagePullException($"image {reference.ToFamiliarString()} has no manifest for platform {platform} (registry {reference.Registry}, repository {reference.Repository})");
            document = _root.Content.Exists(selected.Digest)
                ? ManifestDocument.Parse(_store.ReadBlob(selected.Digest), selected.MediaType)
                : await repository.Manifests.GetAsync(selected.Digest.ToString(), cancellationToken).ConfigureAwait(false);
        }
        var manifest = document.Manifest
            ?? throw new InvalidDataException($"{document.Digest} is a {document.MediaType}, not an image manifest");

        // Warm path: the image is stored and complete; only the name may be new.
        if (_store.Get(document.Digest) is { } known && IsComplete(known, manifest, unpack))
        {
            return _store.Record(known.Manifest, manifest, _store.ReadConfig(known), known.TopSnapshot, [reference]);
        }

        StoreManifest(document, lease);
        if (manifest.Config.Size > MaxConfigSize)
        {
            throw new InvalidDataException($"the config of {manifest.Config.Size} bytes exceeds the {MaxConfigSize} byte limit");
        }
        await DownloadAsync(repository, manifest.Config, lease, cancellationToken).ConfigureAwait(false);
        var config = ImageJson.Parse(_store.ReadBlob(manifest.Config.Digest));

        using (var gate = new SemaphoreSlim(ParallelDownloads))
        {
            await Task.WhenAll(manifest.Layers.Select(async layer =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await DownloadAsync(repository, layer, lease, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
        // Blobs only: an image already unpacked keeps its snapshot (the store records a null top as "unchanged").
        var top = unpack ? _unpacker.Unpack(manifest, config, lease, cancellationToken) : null;
        return _store.Record(document.Descriptor, manifest, config, top, [reference]);
    }

    private bool IsComplete(StoredImage image, ImageManifest manifest, bool unpacked) =>
        manifest.Layers.Append(manifest.Config).All(b => _root.Content.Exists(b.Digest))
        && (!unpacked || manifest.Layers.Count == 0 || (image.TopSnapshot is not null && _unpacker.IsUnpacked(_store.ReadConfig(image))));

    private void StoreManifest(ManifestDocument document, Lease lease)
    {
        lease.Add(ResourceKind.Blob, document.Digest.ToString());
        if (_root.Content.Exists(document.Digest))
        {
            return;
        }
        using var writer = _root.Content.OpenWriter();
        writer.Write(document.Bytes.Span);
        writer.Commit(document.Digest, document.Bytes.Length, lease);
    }

    private async Task DownloadAsync(RegistryRepository repository, Descriptor blob, Lease lease, CancellationToken cancellationToken)
    {
        lease.Add(ResourceKind.Blob, blob.Digest.ToString());
        if (_root.Content.Exists(blob.Digest))
        {
            return;
        }
        await using var stream = await repository.Blobs.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
        await _root.Content.IngestAsync(stream, blob.Digest, blob.Size, cancellationToken, lease).ConfigureAwait(false);
    }
}
