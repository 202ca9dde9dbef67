using System.Text.Json;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Snapshotter;
using Builder.Snapshotter.Gc;

namespace Builder.Exporter.Loading;

/// <summary>
/// <c>builder load</c>: reads a docker-archive (manifest.json; classic or Docker 25+ layout, as `docker save`
/// and skopeo write it) or an OCI layout tarball (index.json) into the content store, applies the layers as
/// snapshots named by chain id (shared with every image that has the same layers) and checks each layer's
/// diff id against the config.
/// </summary>
public sealed class ArchiveLoader
{
    /// <summary>Prefix of the committed snapshot that holds layers 1..n of an image: the chain id follows.</summary>
    public const string SnapshotPrefix = LayerUnpacker.SnapshotPrefix;

    private readonly DataRoot _root;
    private readonly LayerUnpacker _unpacker;

    public ArchiveLoader(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        _unpacker = new LayerUnpacker(root);
    }

    public async Task<IReadOnlyList<LoadedImage>> LoadAsync(string path, Lease? lease = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return await LoadAsync(file, lease, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads every image of the archive read from <paramref name="archive"/> (read once, front to back: stdin works).</summary>
    public async Task<IReadOnlyList<LoadedImage>> LoadAsync(Stream archive, Lease? lease = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var entries = await ArchiveEntries.ReadAsync(archive, _root.Content, lease, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<(Descriptor Manifest, List<string> Names)> images = entries.Metadata("manifest.json") is { } dockerManifest
            ? FromDockerManifest(entries, dockerManifest, lease)
            : entries.Metadata("index.json") is { } index
                ? FromIndex(index)
                : throw new InvalidDataException("not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI layout)");
        var loaded = new List<LoadedImage>(images.Count);
        foreach (var (manifest, names) in images)
        {
            cancellationToken.ThrowIfCancellationRequested();
            loaded.Add(Unpack(manifest, names, lease));
        }
        return loaded;
    }

    /// <summary>manifest.json names files; the layers are stored as they are (compressed or not) under an OCI manifest we write.</summary>
    private List<(Descriptor, List<string>)> FromDockerManifest(ArchiveEntries entries, byte[] json, Lease? lease)
    {
        var images = new List<(Descriptor, List<string>)>();
        using var doc = Parse(json, "manifest.json");
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("invalid manifest.json: expected a JSON array of images");
        }
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var configPath = item.TryGetProperty("Config", out var c) && c.ValueKind == JsonValueKind.String
                ? c.GetString()!
                : throw new InvalidDataException("invalid manifest.json: an image has no Config path");
            var config = entries.Blob(configPath);
            var layers = new List<Descriptor>();
            if (item.TryGetProperty("Layers", out var ls) && ls.ValueKind == JsonValueKind.Array)
            {
                foreach (var l in ls.EnumerateArray())
                {
                    var blob = entries.Blob(l.GetString() ?? throw new InvalidDataException("invalid manifest.json: a layer path is not a string"));
                    layers.Add(new Descriptor(LayerMediaType(blob.Digest), blob.Digest, blob.Size));
                }
            }
            var names = item.TryGetProperty("RepoTags", out var tags) && tags.ValueKind == JsonValueKind.Array
                ? tags.EnumerateArray().Select(t => t.GetString()).OfType<string>().ToList()
                : [];
            var manifest = new ImageManifest { Config = new Descriptor(MediaTypes.OciConfig, config.Digest, config.Size), Layers = layers };
            using var writer = _root.Content.OpenWriter();
            writer.Write(manifest.ToJsonBytes());
            var stored = writer.Commit(lease: lease);
            images.Add((new Descriptor(MediaTypes.OciManifest, stored.Digest, stored.Size), names));
        }
        return images;
    }

    /// <summary>index.json entries; a nested index resolves to the host platform's manifest. Entries for the same manifest merge their names.</summary>
    private List<(Descriptor, List<string>)> FromIndex(byte[] json)
    {
        var index = ImageIndex.Parse(json);
        var images = new List<(Descriptor Manifest, List<string> Names)>();
        foreach (var entry in index.Manifests)
        {
            var manifest = entry;
            if (MediaTypes.IsIndex(manifest.MediaType))
            {
                var nested = ImageIndex.Parse(ReadSmallBlob(manifest.Digest));
                manifest = PlatformMatching.SelectManifest(nested, Platform.Host)
                    ?? throw new InvalidDataException($"index {entry.Digest} in the archive has no manifest for {Platform.Host}");
            }
            if (!MediaTypes.IsImageManifest(manifest.MediaType))
            {
                continue; // attestations and artifacts: not images
            }
            var name = entry.Annotations?.GetValueOrDefault("io.containerd.image.name") ?? entry.Annotations?.GetValueOrDefault("org.opencontainers.image.ref.name");
            var existing = images.FindIndex(i => i.Manifest.Digest == manifest.Digest);
            if (existing < 0)
            {
                images.Add((new Descriptor(manifest.MediaType, manifest.Digest, manifest.Size), []));
                existing = images.Count - 1;
            }
            if (name is not null && !images[existing].Names.Contains(name))
            {
                images[existing].Names.Add(name);
            }
        }
        return images.Count > 0 ? images : throw new InvalidDataException("index.json lists no image manifest");
    }

    private LoadedImage Unpack(Descriptor manifestDescriptor, List<string> names, Lease? lease)
    {
        var manifest = ManifestDocument.Parse(ReadSmallBlob(manifestDescriptor.Digest), manifestDescriptor.MediaType).Manifest
            ?? throw new InvalidDataException($"{manifestDescriptor.Digest} is not an image manifest");
        var config = ImageJson.Parse(ReadSmallBlob(manifest.Config.Digest));
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
        {
            throw new InvalidDataException($"image {manifestDescriptor.Digest}: the config lists {config.RootFs.DiffIds.Count} diff ids but the manifest has {manifest.Layers.Count} layers");
        }
        var top = _unpacker.Unpack(manifest, config, lease);
        return new LoadedImage(manifestDescriptor, manifest, config, names, top);
    }

    /// <summary>What the bytes of a stored layer are (gzip and zstd by their magic numbers, else a plain tar).</summary>
    private string LayerMediaType(Digest digest)
    {
        Span<byte> magic = stackalloc byte[4];
        using var blob = _root.Content.OpenRead(digest);
        var read = blob.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        return read >= 2 && magic[0] == 0x1f && magic[1] == 0x8b ? MediaTypes.OciLayerGzip
            : read == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd ? MediaTypes.OciLayerZstd
            : MediaTypes.OciLayerTar;
    }

    private byte[] ReadSmallBlob(Digest digest)
    {
        var info = _root.Content.Info(digest) ?? throw new InvalidDataException($"blob {digest} named by the archive is not in it");
        if (info.Size > ManifestDocument.MaxSize)
        {
            throw new InvalidDataException($"blob {digest} is {info.Size} bytes, more than the {ManifestDocument.MaxSize} byte limit for a manifest or config");
        }
        using var stream = _root.Content.OpenRead(digest);
        var bytes = new byte[info.Size];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static JsonDocument Parse(byte[] json, string file)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"invalid {file}: {e.Message}", e);
        }
    }
}
