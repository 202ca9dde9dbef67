using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Manifests;

/// <summary>
/// A multi-platform image: an OCI image index or a Docker manifest list (same shape). Entries whose
/// media type we do not know are kept but never selected (<see cref="PlatformMatching"/>).
/// </summary>
public sealed record ImageIndex
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("mediaType")]
    public string? MediaType { get; init; } = MediaTypes.OciIndex;

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("manifests")]
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];

    [JsonPropertyName("subject")]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    [JsonIgnore]
    public ManifestFormat Format => MediaType == MediaTypes.DockerManifestList ? ManifestFormat.Docker : ManifestFormat.Oci;

    /// <summary>The canonical JSON of this index (compact, fields in spec order, annotations sorted).</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJsonContext.Canonical.ImageIndex);

    /// <summary>Parses index JSON; throws <see cref="FormatException"/> when it is not a schema 2 index.</summary>
    public static ImageIndex Parse(ReadOnlySpan<byte> json)
    {
        ImageIndex? index;
        try
        {
            index = JsonSerializer.Deserialize(json, ManifestJsonContext.Canonical.ImageIndex);
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid image index: {e.Message}", e);
        }
        if (index is null)
        {
            throw new FormatException("invalid image index: the document is null");
        }
        if (index.SchemaVersion != 2)
        {
            throw new FormatException($"unsupported image index schemaVersion {index.SchemaVersion}: only 2 is supported");
        }
        return index;
    }

    /// <summary>
    /// The same index with the media types of <paramref name="format"/>, for the index itself and
    /// for its image manifest entries (whose documents the caller converts the same way).
    /// </summary>
    public ImageIndex ConvertTo(ManifestFormat format)
    {
        if (format == ManifestFormat.Docker)
        {
            if (Subject is not null || ArtifactType is not null || Annotations is { Count: > 0 })
            {
                throw new InvalidOperationException("a Docker manifest list cannot carry annotations, subject or artifactType; use OCI media types");
            }
            return this with
            {
                MediaType = MediaTypes.DockerManifestList,
                Manifests = Manifests.Select(m => m with { MediaType = m.MediaType switch
                {
                    MediaTypes.OciManifest => MediaTypes.DockerManifest,
                    MediaTypes.OciIndex => MediaTypes.DockerManifestList,
                    var other => other,
                } }).ToArray(),
            };
        }
        return this with
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = Manifests.Select(m => m with { MediaType = m.MediaType switch
            {
                MediaTypes.DockerManifest => MediaTypes.OciManifest,
                MediaTypes.DockerManifestList => MediaTypes.OciIndex,
                var other => other,
            } }).ToArray(),
        };
    }
}
