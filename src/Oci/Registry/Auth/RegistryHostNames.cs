namespace Builder.Oci.Registry.Auth;

/// <summary>
/// How registry names map to API hosts and to the keys credentials are stored under. Docker Hub is
/// the one registry whose name (<c>docker.io</c>), API host (<c>registry-1.docker.io</c>) and token
/// host (<c>auth.docker.io</c>) differ; all three share the <c>docker.io</c> credentials.
/// </summary>
public static class RegistryHostNames
{
    public const string DockerHub = "docker.io";
    public const string DockerHubApiHost = "registry-1.docker.io";

    private static readonly HashSet<string> DockerHubAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "auth.docker.io",
    };

    /// <summary>The host:port the distribution API of <paramref name="registry"/> is served from.</summary>
    public static string ApiHost(string registry)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        return registry.Equals(DockerHub, StringComparison.OrdinalIgnoreCase) ? DockerHubApiHost : registry;
    }

    /// <summary>
    /// The key credentials for <paramref name="hostOrServerUrl"/> are stored under: scheme, path and
    /// trailing slash removed, lowercase, Docker Hub's aliases folded into <c>docker.io</c>.
    /// Docker writes keys like <c>https://index.docker.io/v1/</c>; both forms map to the same key.
    /// </summary>
    public static string CredentialKey(string hostOrServerUrl)
    {
        ArgumentException.ThrowIfNullOrEmpty(hostOrServerUrl);
        var key = hostOrServerUrl.Trim();
        var scheme = key.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            key = key[(scheme + 3)..];
        }
        var slash = key.IndexOf('/');
        if (slash >= 0)
        {
            key = key[..slash];
        }
        key = key.ToLowerInvariant();
        return DockerHubAliases.Contains(key) ? DockerHub : key;
    }
}
