using Builder.Oci.Image;
using Builder.Oci.References;

namespace Builder.Frontend.Conversion;

/// <summary>What the caller of the frontend decides: target, build args, platforms, context rules.</summary>
public sealed record ConvertOptions
{
    /// <summary>Name shown in error messages and used for history (e.g. <c>Dockerfile</c>).</summary>
    public string DockerfileName { get; init; } = "Dockerfile";

    /// <summary>The stage to build; null builds the last stage.</summary>
    public string? Target { get; init; }

    /// <summary>--build-arg values, overriding ARG defaults.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>--label values, added to the final image's labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The platform the build runs on.</summary>
    public Platform BuildPlatform { get; init; } = Platform.Host;

    /// <summary>The platform of the image being built.</summary>
    public Platform TargetPlatform { get; init; } = Platform.Host;

    /// <summary>Exclude patterns of the build context (from .dockerignore).</summary>
    public IReadOnlyList<string> ContextExcludes { get; init; } = [];

    /// <summary>
    /// Named contexts (--build-context): name → <c>docker-image://REF</c>, <c>oci-layout://PATH</c>
    /// or a local directory. A name here replaces a stage or image of that name in FROM and --from.
    /// </summary>
    public IReadOnlyDictionary<string, string> NamedContexts { get; init; } = new Dictionary<string, string>();

    /// <summary>Run every step even if cached (--no-cache).</summary>
    public bool NoCache { get; init; }

    /// <summary>Stages whose steps run even if cached (--no-cache-filter).</summary>
    public IReadOnlySet<string> NoCacheFilter { get; init; } = new HashSet<string>();

    /// <summary>Looks up base images' digests and configs; null leaves them unresolved (plan without network).</summary>
    public IImageResolver? ImageResolver { get; init; }
}

/// <summary>A base image's identity and configuration, as resolved from a registry or the local store.</summary>
/// <param name="Reference">The reference as resolved.</param>
/// <param name="ManifestDigest">The platform manifest's digest.</param>
/// <param name="Config">The image configuration.</param>
public sealed record ResolvedImage(ImageReference Reference, string ManifestDigest, ImageConfig Config);

/// <summary>Resolves image references to a digest and config for the frontend.</summary>
public interface IImageResolver
{
    Task<ResolvedImage> ResolveAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken);
}
