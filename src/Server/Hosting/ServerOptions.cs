namespace Builder.Server.Hosting;

/// <summary>How <c>builder serve</c> runs: where it listens, who may connect, what builds may do.</summary>
public sealed record ServerOptions
{
    /// <summary>The listening addresses (at least one).</summary>
    public required IReadOnlyList<ServerAddress> Addresses { get; init; }

    /// <summary>The group a unix socket is given (mode 0660); null keeps the process's group.</summary>
    public string? SocketGroup { get; init; }

    /// <summary>The server's certificate and key (PEM) and the CA client certificates must chain to.</summary>
    public string? TlsCertificate { get; init; }

    public string? TlsKey { get; init; }

    public string? TlsCaCertificate { get; init; }

    /// <summary>Plain TCP without TLS, allowed only on loopback addresses.</summary>
    public bool Insecure { get; init; }

    /// <summary>Builds running at once; the rest wait in order.</summary>
    public int MaxConcurrentBuilds { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>Entitlements the operator allows builds to ask for (network.host, security.insecure).</summary>
    public IReadOnlySet<string> Allow { get; init; } = new HashSet<string>();

    /// <summary>How long running builds may go on after SIGTERM before they are cancelled.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest total size of a build context's files.</summary>
    public long MaxContextSize { get; init; } = 8L << 30;

    /// <summary>The largest gRPC message a client may send.</summary>
    public int MaxMessageSize { get; init; } = 16 << 20;

    /// <summary>The largest number of entries in one context.</summary>
    public int MaxContextEntries { get; init; } = 2_000_000;

    /// <summary>How long a client's context copy is kept without a build using it (the next build then sends every file).</summary>
    public TimeSpan ContextTtl { get; init; } = Context.ContextCopyFolders.DefaultTtl;

    /// <summary>Registries the server may reach over plain HTTP.</summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>The entitlements this server knows.</summary>
    public static IReadOnlySet<string> KnownEntitlements { get; } = new HashSet<string>(StringComparer.Ordinal) { "network.host", "security.insecure" };
}
