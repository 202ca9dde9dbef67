using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Builder.Oci.References;

/// <summary>
/// A normalized image reference: <c>registry/repository[:tag][@digest]</c>, with Docker's rules
/// (<c>busybox</c> → <c>docker.io/library/busybox:latest</c>; a first component with a dot, a
/// port or named <c>localhost</c> is a registry host).
/// </summary>
public sealed partial record ImageReference
{
    /// <summary>The default registry for names without a host.</summary>
    public const string DefaultRegistry = "docker.io";

    /// <summary>The tag used when neither a tag nor a digest is given.</summary>
    public const string DefaultTag = "latest";

    private const int MaxNameLength = 255;

    private ImageReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    /// <summary>Registry host (and port), e.g. <c>docker.io</c> or <c>localhost:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>Repository path, e.g. <c>library/busybox</c>.</summary>
    public string Repository { get; }

    /// <summary>The tag, or null when only a digest was given.</summary>
    public string? Tag { get; }

    /// <summary>The digest (<c>sha256:…</c>), or null.</summary>
    public string? Digest { get; }

    /// <summary><c>registry/repository</c>.</summary>
    public string Name => $"{Registry}/{Repository}";

    /// <summary>The full normalized reference.</summary>
    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>The shortest form Docker would display (<c>busybox:latest</c>).</summary>
    public string ToFamiliarString()
    {
        var name = Registry == DefaultRegistry && Repository.StartsWith("library/", StringComparison.Ordinal)
            ? Repository["library/".Length..]
            : Registry == DefaultRegistry ? Repository : Name;
        return name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);
    }

    /// <summary>Parses and normalizes <paramref name="text"/>; throws <see cref="FormatException"/> with the reason.</summary>
    public static ImageReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var reference, out var error))
        {
            throw new FormatException(error);
        }
        return reference;
    }

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? error)
    {
        reference = null;
        if (string.IsNullOrEmpty(text))
        {
            error = "invalid reference format: the reference is empty";
            return false;
        }

        string? digest = null;
        var rest = text;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!DigestPattern().IsMatch(digest))
            {
                error = $"invalid reference format: '{digest}' is not a valid digest";
                return false;
            }
        }

        string? tag = null;
        var lastColon = rest.LastIndexOf(':');
        if (lastColon >= 0 && rest.IndexOf('/', lastColon) < 0)
        {
            tag = rest[(lastColon + 1)..];
            rest = rest[..lastColon];
            if (!TagPattern().IsMatch(tag))
            {
                error = $"invalid reference format: '{tag}' is not a valid tag";
                return false;
            }
        }

        if (rest.Length == 0)
        {
            error = "invalid reference format: the repository name is empty";
            return false;
        }

        string registry;
        string repository;
        var slash = rest.IndexOf('/');
        var first = slash < 0 ? rest : rest[..slash];
        if (slash >= 0 && (first.Contains('.') || first.Contains(':') || first == "localhost" || first.Any(char.IsUpper)))
        {
            registry = first;
            repository = rest[(slash + 1)..];
            if (!HostPattern().IsMatch(registry))
            {
                error = $"invalid reference format: '{registry}' is not a valid registry host";
                return false;
            }
        }
        else
        {
            registry = DefaultRegistry;
            repository = slash < 0 ? "library/" + rest : rest;
        }

        if (registry == "index.docker.io")
        {
            registry = DefaultRegistry;
        }

        if (repository.Any(char.IsUpper))
        {
            error = $"invalid reference format: repository name '{repository}' must be lowercase";
            return false;
        }
        foreach (var component in repository.Split('/'))
        {
            if (!PathComponentPattern().IsMatch(component))
            {
                error = component.Length == 0
                    ? $"invalid reference format: '{text}' has an empty path component"
                    : $"invalid reference format: '{component}' is not a valid repository path component";
                return false;
            }
        }
        if (registry.Length + 1 + repository.Length > MaxNameLength)
        {
            error = $"invalid reference format: repository name must not be longer than {MaxNameLength} characters";
            return false;
        }

        if (tag is null && digest is null)
        {
            tag = DefaultTag;
        }
        reference = new ImageReference(registry, repository, tag, digest);
        error = null;
        return true;
    }

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentPattern();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$")]
    private static partial Regex DigestPattern();

    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$")]
    private static partial Regex HostPattern();
}
