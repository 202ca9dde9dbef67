using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Manifests;

/// <summary>
/// A single-image manifest: an OCI image manifest or a Docker v2 schema 2 manifest, which share one
/// shape (config descriptor plus ordered layer descriptors). Unknown JSON fields are ignored on read,
/// as the image-spec requires; code that copies a manifest keeps its original bytes
/// (<see cref="ManifestDocument.Bytes"/>) so the digest never changes.
/// </summary>
public sealed record ImageManifest
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; } = MediaTypes.OciManifest;

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("config")]
    public required Descriptor Config { get; init; }

    [JsonPropertyName("layers")]
    public IReadOnlyList<Descriptor> Layers { get; init; } = [];

    [JsonPropertyName("subject")]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Docker when the manifest says so; OCI otherwise (OCI allows omitting mediaType).</summary>
    [JsonIgnore]
    public ManifestFormat Format => MediaType == MediaTypes.DockerManifest ? ManifestFormat.Docker : ManifestFormat.Oci;

    /// <summary>The canonical JSON of this manifest (compact, fields in spec order, annotations sorted).</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJsonContext.Canonical.ImageManifest);

    /// <summary>Parses manifest JSON; throws <see cref="FormatException"/> when it is not a schema 2 image manifest.</summary>
    public static ImageManifest Parse(ReadOnlySpan<byte> json)
    {
        ImageManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(json, ManifestJsonContext.Canonical.ImageManifest);
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid image manifest: {e.Message}", e);
        }
        if (manifest is null)
        {
            throw new FormatException("invalid image manifest: the document is null");
        }
        if (manifest.SchemaVersion != 2)
        {
            throw new FormatException($"unsupported image manifest schemaVersion {manifest.SchemaVersion}: only 2 is supported");
        }
        return manifest;
    }

    /// <summary>
    /// The same manifest with the media types of <paramref name="format"/>. Docker's schema has no
    /// zstd layers, annotations, subject or artifactType, so converting such a manifest to Docker throws.
    /// </summary>
    public ImageManifest ConvertTo(ManifestFormat format)
    {
        if (format == ManifestFormat.Docker)
        {
            if (Subject is not null || ArtifactType is not null || Annotations is { Count: > 0 })
            {
                throw new InvalidOperationException("a Docker schema 2 manifest cannot carry annotations, subject or artifactType; use OCI media types");
            }
            return this with
            {
                MediaType = MediaTypes.DockerManifest,
                Config = Config with { MediaType = Config.MediaType == MediaTypes.OciConfig ? MediaTypes.DockerConfig : Config.MediaType },
                Layers = Layers.Select(l => l with { MediaType = ToDockerLayer(l.MediaType) }).ToArray(),
            };
        }
        return this with
        {
            MediaType = MediaTypes.OciManifest,
            Config = Config with { MediaType = Config.MediaType == MediaTypes.DockerConfig ? MediaTypes.OciConfig : Config.MediaType },
            Layers = Layers.Select(l => l with { MediaType = ToOciLayer(l.MediaType) }).ToArray(),
        };
    }

    private static string ToDockerLayer(string mediaType) => mediaType switch
    {
        MediaTypes.OciLayerGzip => MediaTypes.DockerLayerGzip,
        MediaTypes.OciLayerTar => MediaTypes.DockerLayerTar,
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" => MediaTypes.DockerForeignLayerGzip,
        MediaTypes.OciLayerZstd => throw new InvalidOperationException("Docker schema 2 has no zstd layer media type; use OCI media types for zstd layers"),
        _ => mediaType,
    };

    private static string ToOciLayer(string mediaType) => mediaType switch
    {
        MediaTypes.DockerLayerGzip => MediaTypes.OciLayerGzip,
        MediaTypes.DockerLayerTar => MediaTypes.OciLayerTar,
        MediaTypes.DockerForeignLayerGzip => "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        _ => mediaType,
    };
}
