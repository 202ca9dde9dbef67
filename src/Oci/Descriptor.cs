using System.Text.Json.Serialization;
using Builder.Oci.Image;

namespace Builder.Oci;

/// <summary>
/// An OCI content descriptor: what a blob is, its digest and its size in bytes, plus the optional
/// fields of the image-spec (urls, annotations, platform, artifactType).
/// </summary>
public sealed record Descriptor(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] Digest Digest,
    [property: JsonPropertyName("size")] long Size)
{
    /// <summary>Other places the blob may be fetched from (foreign layers).</summary>
    [JsonPropertyName("urls")]
    public IReadOnlyList<string>? Urls { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>The platform of the image a descriptor in an index points to.</summary>
    [JsonPropertyName("platform")]
    public Platform? Platform { get; init; }

    /// <summary>The type of an artifact when the descriptor points to one.</summary>
    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    /// <summary>The blob's content embedded in the descriptor (base64), when small enough to inline.</summary>
    [JsonPropertyName("data")]
    public string? Data { get; init; }
}
