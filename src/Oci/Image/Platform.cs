using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Builder.Oci.Image;

/// <summary>An OCI platform: operating system, architecture and optional variant (<c>linux/arm64/v8</c>).</summary>
public sealed record Platform(
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("variant")] string? Variant = null)
{
    /// <summary>The operating system version (Windows images), as written in image indexes.</summary>
    [JsonPropertyName("os.version")]
    public string? OsVersion { get; init; }

    /// <summary>Required operating system features (Windows images), as written in image indexes.</summary>
    [JsonPropertyName("os.features")]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    /// <summary>The platform of the running process.</summary>
    public static Platform Host { get; } = new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        var other => other.ToString().ToLowerInvariant(),
    }, RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm ? "v7" : null);

    /// <summary>Parses <c>os/arch[/variant]</c>; throws <see cref="FormatException"/> when malformed.</summary>
    public static Platform Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().ToLowerInvariant().Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
        {
            throw new FormatException($"invalid platform '{text}': expected os/arch[/variant], e.g. linux/amd64");
        }
        var arch = parts[1] switch { "x86_64" or "x86-64" => "amd64", "aarch64" => "arm64", var a => a };
        return new Platform(parts[0], arch, parts.Length == 3 ? parts[2] : null);
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
