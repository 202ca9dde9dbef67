using System.Text.Json;

namespace Builder.Oci.Manifests;

/// <summary>
/// A manifest or index exactly as fetched or stored: its bytes (which define its digest), its media
/// type and the parsed form. Copying code must push <see cref="Bytes"/>, never a re-serialization.
/// </summary>
public sealed class ManifestDocument
{
    /// <summary>The largest manifest accepted, as in the distribution registry (4 MiB).</summary>
    public const int MaxSize = 4 * 1024 * 1024;

    private ManifestDocument(string mediaType, ReadOnlyMemory<byte> bytes, ImageManifest? manifest, ImageIndex? index)
    {
        MediaType = mediaType;
        Bytes = bytes;
        Digest = Digest.Sha256Of(bytes.Span);
        Manifest = manifest;
        Index = index;
    }

    public string MediaType { get; }

    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>sha256 of <see cref="Bytes"/>.</summary>
    public Digest Digest { get; }

    /// <summary>Set when the document is a single-image manifest (OCI or Docker schema 2).</summary>
    public ImageManifest? Manifest { get; }

    /// <summary>Set when the document is an index (OCI index or Docker manifest list).</summary>
    public ImageIndex? Index { get; }

    public bool IsIndex => Index is not null;

    /// <summary>A descriptor for this document.</summary>
    public Descriptor Descriptor => new(MediaType, Digest, Bytes.Length);

    /// <summary>Wraps a manifest we build ourselves (serialized canonically).</summary>
    public static ManifestDocument From(ImageManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new ManifestDocument(manifest.MediaType ?? MediaTypes.OciManifest, manifest.ToJsonBytes(), manifest, null);
    }

    /// <summary>Wraps an index we build ourselves (serialized canonically).</summary>
    public static ManifestDocument From(ImageIndex index)
    {
        ArgumentNullException.ThrowIfNull(index);
        return new ManifestDocument(index.MediaType ?? MediaTypes.OciIndex, index.ToJsonBytes(), null, index);
    }

    /// <summary>
    /// Parses fetched bytes. The media type comes from the document's own <c>mediaType</c> field,
    /// else from <paramref name="contentType"/> (the HTTP Content-Type), else from its shape
    /// (<c>manifests</c> means an index). Schema 1 and unknown media types are rejected with
    /// <see cref="FormatException"/>.
    /// </summary>
    public static ManifestDocument Parse(ReadOnlyMemory<byte> bytes, string? contentType = null)
    {
        if (bytes.Length > MaxSize)
        {
            throw new FormatException($"manifest of {bytes.Length} bytes exceeds the {MaxSize} byte limit");
        }
        string? declared;
        int? schemaVersion;
        bool hasManifests;
        try
        {
            using var json = JsonDocument.Parse(bytes);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"invalid manifest: expected a JSON object, got {root.ValueKind}");
            }
            declared = root.TryGetProperty("mediaType", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            schemaVersion = root.TryGetProperty("schemaVersion", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;
            hasManifests = root.TryGetProperty("manifests", out _);
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid manifest JSON: {e.Message}", e);
        }

        if (schemaVersion == 1 || declared is MediaTypes.DockerManifestSchema1 or MediaTypes.DockerManifestSchema1Signed)
        {
            throw new FormatException("Docker image manifest schema 1 is not supported (deprecated); push the image again with a current client");
        }
        var cleanContentType = contentType?.Split(';')[0].Trim();
        var mediaType = declared
            ?? (MediaTypes.IsManifestOrIndex(cleanContentType) ? cleanContentType : null)
            ?? (hasManifests ? MediaTypes.OciIndex : MediaTypes.OciManifest);
        if (MediaTypes.IsIndex(mediaType))
        {
            return new ManifestDocument(mediaType, bytes, null, ImageIndex.Parse(bytes.Span));
        }
        if (MediaTypes.IsImageManifest(mediaType))
        {
            return new ManifestDocument(mediaType, bytes, ImageManifest.Parse(bytes.Span), null);
        }
        throw new FormatException($"unsupported manifest media type '{mediaType}'");
    }
}
