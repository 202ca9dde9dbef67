using Builder.Oci.Image;

namespace Builder.Oci.Manifests;

/// <summary>
/// Picks the entry of an index that runs on a platform, with containerd's rules: architecture
/// aliases (x86_64 → amd64, aarch64 → arm64), default variants (arm → v7, arm64 → v8, amd64 → v1),
/// and older variants accepted when no exact one exists (arm/v7 runs arm/v6, amd64/v3 runs amd64/v2).
/// </summary>
public static class PlatformMatching
{
    /// <summary>The platform with lowercase names, canonical architecture and explicit default variant.</summary>
    public static Platform Normalize(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var os = platform.Os.ToLowerInvariant();
        var arch = platform.Architecture.ToLowerInvariant() switch
        {
            "x86_64" or "x86-64" => "amd64",
            "aarch64" => "arm64",
            "i386" => "386",
            "armhf" => "arm",
            "armel" => "arm",
            var a => a,
        };
        var variant = platform.Variant?.ToLowerInvariant();
        if (variant is { Length: > 0 } && char.IsAsciiDigit(variant[0]))
        {
            variant = "v" + variant;
        }
        variant = arch switch
        {
            "arm64" when string.IsNullOrEmpty(variant) || variant == "v8.0" => "v8",
            "arm" when string.IsNullOrEmpty(variant) => platform.Architecture.Equals("armel", StringComparison.OrdinalIgnoreCase) ? "v6" : "v7",
            "amd64" when string.IsNullOrEmpty(variant) => "v1",
            _ => string.IsNullOrEmpty(variant) ? null : variant,
        };
        return new Platform(os, arch, variant);
    }

    /// <summary>True when an image built for <paramref name="candidate"/> runs on <paramref name="wanted"/>.</summary>
    public static bool Matches(Platform wanted, Platform candidate) => Rank(wanted, candidate) is not null;

    /// <summary>
    /// The best index entry for <paramref name="wanted"/>: an exact variant first, then the newest
    /// compatible older variant, then an entry without a platform. Entries with media types other
    /// than manifests and indexes (attestations, unknown types) are ignored, as the spec asks.
    /// </summary>
    public static Descriptor? SelectManifest(ImageIndex index, Platform wanted)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(wanted);
        Descriptor? best = null;
        var bestRank = int.MaxValue;
        foreach (var entry in index.Manifests)
        {
            if (!MediaTypes.IsManifestOrIndex(entry.MediaType))
            {
                continue;
            }
            // An entry without a platform fits anything, but only when nothing more specific does.
            var rank = entry.Platform is null ? 1000 : Rank(wanted, entry.Platform);
            if (rank is { } r && r < bestRank)
            {
                best = entry;
                bestRank = r;
            }
        }
        return best;
    }

    /// <summary>0 for an exact match, the variant distance for an older compatible variant, null otherwise.</summary>
    private static int? Rank(Platform wanted, Platform candidate)
    {
        var w = Normalize(wanted);
        var c = Normalize(candidate);
        if (w.Os != c.Os || w.Architecture != c.Architecture)
        {
            return null;
        }
        if (w.Variant == c.Variant)
        {
            return 0;
        }
        // Variants of arm, arm64 and amd64 are ordered levels; a newer CPU runs older levels.
        if (w.Architecture is "arm" or "arm64" or "amd64" && VariantLevel(w.Variant) is { } wl && VariantLevel(c.Variant) is { } cl && cl < wl)
        {
            return (int)Math.Ceiling(wl - cl);
        }
        return null;
    }

    private static double? VariantLevel(string? variant) =>
        variant is { Length: > 1 } && variant[0] == 'v' && double.TryParse(variant[1..], System.Globalization.CultureInfo.InvariantCulture, out var level)
            ? level
            : null;
}
