using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Manifests;

/// <summary>Source-generated JSON metadata for manifests, indexes and descriptors.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = false,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(SortedStringMapConverter)])]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(Descriptor))]
public sealed partial class ManifestJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context we write with: like <see cref="Default"/>, but escaping only what JSON requires, so
    /// media types read <c>v1+json</c> (not <c>v1\u002Bjson</c>) as other tools write them.
    /// </summary>
    public static ManifestJsonContext Canonical { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        RespectNullableAnnotations = true, // "layers": null or a missing digest is an invalid document, not a crash later
        RespectRequiredConstructorParameters = true,
        Converters = { new SortedStringMapConverter() },
    });
}

/// <summary>
/// Writes string maps (annotations) with keys in ordinal order, as Go's encoding/json does, so the same
/// manifest always serializes to the same bytes and digest whatever dictionary the caller used.
/// </summary>
public sealed class SortedStringMapConverter : JsonConverter<IReadOnlyDictionary<string, string>>
{
    public override IReadOnlyDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"expected a JSON object of strings, got {reader.TokenType}");
        }
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            map[key] = reader.TokenType == JsonTokenType.String
                ? reader.GetString()!
                : throw new JsonException($"the value of '{key}' must be a string, got {reader.TokenType}");
        }
        return map;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, text) in value.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, text);
        }
        writer.WriteEndObject();
    }
}
