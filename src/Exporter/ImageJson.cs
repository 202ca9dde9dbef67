using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Builder.Oci.Image;

namespace Builder.Exporter;

/// <summary>
/// How we serialize image configs: the source-generated metadata with only the escaping JSON requires,
/// so "a+b" stays "a+b" as Docker and BuildKit write it (and the digest is the same on every run).
/// </summary>
internal static class ImageJson
{
    private static readonly ImageJsonContext Context = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static byte[] Serialize(ImageConfig config) => JsonSerializer.SerializeToUtf8Bytes(config, Context.ImageConfig);

    /// <summary>Parses a config blob; throws <see cref="FormatException"/> when it is not one.</summary>
    public static ImageConfig Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, Context.ImageConfig) ?? throw new FormatException("invalid image config: the document is null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"invalid image config: {e.Message}", e);
        }
    }
}
