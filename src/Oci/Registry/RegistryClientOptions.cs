using Builder.Oci.Registry.Auth;

namespace Builder.Oci.Registry;

/// <summary>Settings of a <see cref="RegistryClient"/>.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Where credentials come from; default: our store, then Docker's config.json.</summary>
    public ICredentialProvider Credentials { get; init; } = CredentialChain.Default();

    /// <summary>
    /// Hosts (host or host:port) reached without certificate verification, and over plain HTTP when they
    /// do not speak TLS (<c>--insecure-registry</c>). Loopback hosts may always use plain HTTP.
    /// </summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>A directory of extra CA certificates (PEM), trusted besides the system's; see <see cref="Transport.RegistryTrust"/>.</summary>
    public string? CaDirectory { get; init; }

    /// <summary>How often a failed request is retried (5xx, 429, connection errors, timeouts).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>The first retry delay; each further retry doubles it (with jitter), up to 10 s.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a request may make no progress (no response, no body bytes) before it times out.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Blobs larger than this are uploaded in PATCH chunks of this size; null uploads every blob in one PUT.</summary>
    public long? ChunkSize { get; init; }

    public string UserAgent { get; init; } = "builder/0.1";

    /// <summary>Where to remember which plain-HTTP-capable hosts do not speak TLS (null: probe once per client).</summary>
    public RegistrySchemeCache? SchemeCache { get; init; }
}
