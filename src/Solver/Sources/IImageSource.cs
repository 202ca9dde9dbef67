using Builder.Oci.Image;
using Builder.Oci.References;

namespace Builder.Solver.Sources;

/// <summary>When to ask the registry about a tag.</summary>
public enum PullPolicy
{
    /// <summary>Resolve the tag against its registry when reachable; use the local copy (with a warning) when not.</summary>
    Default,
    /// <summary>Always resolve against the registry (<c>--pull</c>); unreachable is an error.</summary>
    Always,
    /// <summary>Use only what the local store has.</summary>
    Never,
}

/// <summary>
/// A base image made available to a build: its manifest digest, its config, and the committed
/// snapshot holding its root filesystem (null for an image without layers).
/// </summary>
public sealed record SourceImage(ImageReference Reference, string ManifestDigest, ImageConfig Config, string? TopSnapshot)
{
    /// <summary>True when this request had to fetch or unpack something; false when the store already had the image under this name.</summary>
    public bool Fetched { get; init; }
}

/// <summary>
/// Where the solver gets base images from. The local image store with a registry client behind
/// it implements this; tests implement it over prepared snapshots. Implementations dedupe
/// concurrent requests for the same image and report a fallback to the local copy through
/// <paramref name="warn"/>.
/// </summary>
public interface IImageSource
{
    /// <summary>Resolves a reference for the given platform and makes its layers available as snapshots.</summary>
    Task<SourceImage> GetAsync(ImageReference reference, Platform platform, PullPolicy policy, Action<string>? warn, CancellationToken cancellationToken);
}
