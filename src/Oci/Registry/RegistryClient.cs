using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Builder.Oci.References;
using Builder.Oci.Registry.Auth;
using Builder.Oci.Registry.Transport;

namespace Builder.Oci.Registry;

/// <summary>
/// A client of the OCI distribution API for any number of registries. One instance shares
/// connections, TLS settings, the plain-HTTP decision per host and cached auth tokens; get a
/// <see cref="RegistryRepository"/> per repository for the blob, upload and manifest operations.
/// The HTTP pipeline is: redirects (no credentials across hosts) → authentication → sockets.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private readonly HashSet<string> _insecure;
    private readonly ConcurrentDictionary<string, Lazy<Task<Uri>>> _baseUris = new(StringComparer.OrdinalIgnoreCase);
    private readonly RegistryTrust _trust;

    public RegistryClient(RegistryClientOptions? options = null)
    {
        Options = options ?? new RegistryClientOptions();
        if (Options.MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxRetries, "MaxRetries must not be negative");
        }
        if (Options.StallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.StallTimeout, "StallTimeout must be positive");
        }
        if (Options.ChunkSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), Options.ChunkSize, "ChunkSize must be positive");
        }
        _insecure = new HashSet<string>(Options.InsecureRegistries.Select(RegistryHostNames.CredentialKey), StringComparer.OrdinalIgnoreCase);
        _trust = new RegistryTrust(Options.CaDirectory, IsInsecure);
        var transport = new PerHostHandler(_trust, Options.StallTimeout);
        Http = new HttpClient(new RedirectHandler(new RegistryAuthenticationHandler(Options.Credentials, transport)))
        {
            Timeout = Timeout.InfiniteTimeSpan, // StallTimer bounds each phase instead
        };
        Http.DefaultRequestHeaders.UserAgent.ParseAdd(Options.UserAgent);
    }

    public RegistryClientOptions Options { get; }

    internal HttpClient Http { get; }

    /// <summary>The operations on <paramref name="repository"/> of <paramref name="registry"/> (e.g. <c>localhost:5000</c>, <c>library/busybox</c>).</summary>
    public RegistryRepository GetRepository(string registry, string repository)
    {
        ArgumentException.ThrowIfNullOrEmpty(registry);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        return new RegistryRepository(this, registry, repository);
    }

    /// <summary>The operations on the repository <paramref name="reference"/> names.</summary>
    public RegistryRepository GetRepository(ImageReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return new RegistryRepository(this, reference.Registry, reference.Repository);
    }

    /// <summary>
    /// Resolves an image reference for <paramref name="platform"/> to its manifest and config (the digest
    /// wins when the reference has both a tag and a digest, as Docker does).
    /// </summary>
    public Task<ImageResolution> ResolveImageAsync(ImageReference reference, Image.Platform platform, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return GetRepository(reference).ResolveImageAsync(reference.Digest ?? reference.Tag ?? ImageReference.DefaultTag, platform, cancellationToken);
    }

    /// <summary>True for hosts listed as insecure registries.</summary>
    public bool IsInsecure(string host) => _insecure.Contains(RegistryHostNames.CredentialKey(host));

    /// <summary>Loopback hosts and insecure registries may be reached over plain HTTP.</summary>
    public bool AllowsPlainHttp(string host) => IsInsecure(host) || IsLoopback(host);

    internal static bool IsLoopback(string host)
    {
        var name = host;
        if (name.StartsWith('['))
        {
            name = name[1..name.IndexOf(']')];
        }
        else if (name.LastIndexOf(':') is var colon and > 0)
        {
            name = name[..colon];
        }
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    /// <summary>
    /// <c>https://host/</c>, or <c>http://host/</c> for a host that may use plain HTTP and does not
    /// speak TLS (decided once per host by a <c>GET /v2/</c>; a TLS server with an untrusted
    /// certificate is an error, never a reason to fall back).
    /// </summary>
    internal async Task<Uri> BaseUriAsync(string registry, CancellationToken cancellationToken)
    {
        var host = RegistryHostNames.ApiHost(registry);
        if (!AllowsPlainHttp(host))
        {
            return new Uri($"https://{host}/");
        }
        var probe = _baseUris.GetOrAdd(host, h => new Lazy<Task<Uri>>(() => ProbeAsync(h)));
        try
        {
            return await probe.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (probe.Value.IsFaulted)
        {
            _baseUris.TryRemove(new KeyValuePair<string, Lazy<Task<Uri>>>(host, probe));
            throw;
        }
    }

    /// <summary>A request over a remembered plain-HTTP base failed at the connection level: probe again next time.</summary>
    internal void ForgetScheme(string registry, Uri baseUri)
    {
        if (baseUri.Scheme != Uri.UriSchemeHttp)
        {
            return;
        }
        var host = RegistryHostNames.ApiHost(registry);
        _baseUris.TryRemove(host, out _);
        Options.SchemeCache?.Forget(host);
    }

    private async Task<Uri> ProbeAsync(string host)
    {
        if (Options.SchemeCache?.Get(host) is { } known)
        {
            return new Uri($"{known}://{host}/");
        }
        var uri = await ProbeTlsAsync(host).ConfigureAwait(false);
        Options.SchemeCache?.Set(host, uri.Scheme);
        return uri;
    }

    private async Task<Uri> ProbeTlsAsync(string host)
    {
        var https = new Uri($"https://{host}/");
        using var timer = new StallTimer(Options.StallTimeout, CancellationToken.None);
        try
        {
            using var response = await Http.GetAsync(new Uri(https, "v2/"), HttpCompletionOption.ResponseHeadersRead, timer.Token).ConfigureAwait(false);
            return https;
        }
        catch (HttpRequestException e) when (e.InnerException is not SocketException && !_trust.PresentedCertificate(host))
        {
            return new Uri($"http://{host}/");
        }
        catch (OperationCanceledException e) when (timer.HasFired)
        {
            throw new TimeoutException($"registry {host} did not answer within {Options.StallTimeout.TotalSeconds:0.#} s", e);
        }
    }

    /// <summary>The delay before retry number <paramref name="attempt"/> (0-based): doubling, with jitter, capped.</summary>
    internal TimeSpan RetryDelay(int attempt, HttpResponseMessage? response)
    {
        var cap = TimeSpan.FromSeconds(10);
        if (response?.Headers.RetryAfter?.Delta is { } after)
        {
            return after < cap ? after : cap;
        }
        var baseMs = Options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt);
        var jittered = baseMs * (0.75 + Random.Shared.NextDouble() * 0.5);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, cap.TotalMilliseconds));
    }

    public void Dispose() => Http.Dispose();
}
