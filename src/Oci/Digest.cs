using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci;

/// <summary>
/// A content digest in the OCI form <c>algorithm:hex</c>. Only sha256 is accepted, the algorithm the
/// image-spec requires every implementation to support; the hex part is 64 lowercase hex digits.
/// </summary>
[JsonConverter(typeof(DigestJsonConverter))]
public sealed record Digest
{
    public const string Sha256Algorithm = "sha256";

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }

    public string Hex { get; }

    /// <summary>Parses <c>sha256:&lt;64 lowercase hex&gt;</c>; throws <see cref="FormatException"/> otherwise.</summary>
    public static Digest Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var digest)
            ? digest
            : throw new FormatException($"invalid digest '{value}': expected sha256:<64 lowercase hex digits>");
    }

    public static bool TryParse(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Digest? digest)
    {
        digest = null;
        if (value is null)
        {
            return false;
        }
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || value[..colon] != Sha256Algorithm)
        {
            return false;
        }
        var hex = value[(colon + 1)..];
        if (!IsLowerHex(hex, 64))
        {
            return false;
        }
        digest = new Digest(Sha256Algorithm, hex);
        return true;
    }

    /// <summary>Builds a sha256 digest from the 32 raw bytes of a hash.</summary>
    public static Digest FromSha256Bytes(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException($"a sha256 hash has 32 bytes, got {hash.Length}", nameof(hash));
        }
        return new Digest(Sha256Algorithm, Convert.ToHexStringLower(hash));
    }

    /// <summary>The sha256 digest of <paramref name="data"/>.</summary>
    public static Digest Sha256Of(ReadOnlySpan<byte> data) => FromSha256Bytes(SHA256.HashData(data));

    public override string ToString() => $"{Algorithm}:{Hex}";

    private static bool IsLowerHex(string s, int length)
    {
        if (s.Length != length)
        {
            return false;
        }
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Reads and writes a <see cref="Digest"/> as its <c>algorithm:hex</c> string.</summary>
public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new JsonException($"a digest must be a JSON string, got {reader.TokenType}");
        return Digest.TryParse(text, out var digest)
            ? digest
            : throw new JsonException($"invalid digest '{text}': expected sha256:<64 lowercase hex digits>");
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
