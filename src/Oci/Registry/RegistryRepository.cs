using System.Net.Sockets;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.Registry.Auth;
using Builder.Oci.Registry.Transport;

namespace Builder.Oci.Registry;

/// <summary>One repository of one registry: its blobs, blob uploads and manifests.</summary>
public sealed class RegistryRepository
{
    internal RegistryRepository(RegistryClient client, string registry, string name)
    {
        Client = client;
        Registry = registry;
        Name = name;
        Blobs = new RegistryBlobs(this);
        Uploads = new RegistryUploads(this);
        Manifests = new RegistryManifests(this);
    }

    /// <summary>The registry as named in references, e.g. <c>docker.io</c> or <c>127.0.0.1:5000</c>.</summary>
    public string Registry { get; }

    /// <summary>The repository path, e.g. <c>library/busybox</c>.</summary>
    public string Name { get; }

    public RegistryBlobs Blobs { get; }

    public RegistryUploads Uploads { get; }

    public RegistryManifests Manifests { get; }

    internal RegistryClient Client { get; }

    /// <summary>
    /// Resolves <paramref name="reference"/> (a tag or digest) for <paramref name="platform"/> and
    /// fetches the image config: what a build needs to know about a base image before pulling layers.
    /// </summary>
    public async Task<ImageResolution> ResolveImageAsync(string reference, Platform platform, CancellationToken cancellationToken = default)
    {
        var resolved = await Manifests.ResolveAsync(reference, platform, cancellationToken).ConfigureAwait(false);
        var manifest = resolved.Manifest.Manifest!;
        const int maxConfigSize = 8 * 1024 * 1024;
        if (manifest.Config.Size > maxConfigSize)
        {
            throw new RegistryException($"pull config {manifest.Config.Digest}", Registry, Name, $"the config of {manifest.Config.Size} bytes exceeds the {maxConfigSize} byte limit");
        }
        var bytes = new byte[manifest.Config.Size];
        await using (var stream = await Blobs.OpenReadAsync(manifest.Config, cancellationToken).ConfigureAwait(false))
        {
            await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            if (await stream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new InvalidOperationException("unreachable: the verifying stream ends at the descriptor size");
            }
        }
        ImageConfig config;
        try
        {
            config = System.Text.Json.JsonSerializer.Deserialize(bytes, ImageJsonContext.Default.ImageConfig)
                ?? throw new FormatException("the config is null");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new RegistryException($"pull config {manifest.Config.Digest}", Registry, Name, $"invalid image config: {e.Message}", innerException: e);
        }
        return new ImageResolution(resolved.Manifest.Descriptor, manifest, config, resolved.Index?.Descriptor);
    }

    /// <summary>
    /// Sends one request built by <paramref name="create"/> (from the registry's base URI), retrying
    /// on 5xx, 429, connection failures and stalls when <paramref name="retry"/> is set, and returns
    /// the final response whatever its status. Failures without a response throw
    /// <see cref="RegistryException"/> naming <paramref name="operation"/>.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(string operation, Func<Uri, StallTimer, HttpRequestMessage> create, IReadOnlyList<string> scopes, bool retry, CancellationToken cancellationToken)
    {
        var options = Client.Options;
        for (var attempt = 0; ; attempt++)
        {
            var canRetry = retry && attempt < options.MaxRetries;
            Uri baseUri;
            try
            {
                baseUri = await Client.BaseUriAsync(Registry, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError && !cancellationToken.IsCancellationRequested)
            {
                throw TlsFailure(operation, e);
            }
            catch (Exception e) when (e is HttpRequestException or TimeoutException or IOException && !cancellationToken.IsCancellationRequested)
            {
                if (canRetry)
                {
                    await Task.Delay(Client.RetryDelay(attempt, null), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                throw new RegistryException(operation, Registry, Name, $"cannot reach the registry: {e.Message}", isTransient: true, innerException: e);
            }
            using var timer = new StallTimer(options.StallTimeout, cancellationToken);
            using var request = create(baseUri, timer);
            request.Options.Set(AuthScopes.Key, scopes);
            HttpResponseMessage response;
            try
            {
                response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timer.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (e.InnerException is RegistryException fromContent)
            {
                throw fromContent; // the request body failed (e.g. the upload source ended early)
            }
            catch (Exception e) when (IsTransientFailure(e, timer))
            {
                Client.ForgetScheme(Registry, baseUri);
                if (canRetry)
                {
                    await Task.Delay(Client.RetryDelay(attempt, null), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var reason = timer.HasFired
                    ? $"no response within {options.StallTimeout.TotalSeconds:0.#} s (timed out)"
                    : $"connection failed: {e.Message}";
                throw new RegistryException(operation, Registry, Name, reason, isTransient: true, innerException: e);
            }
            catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError && !cancellationToken.IsCancellationRequested)
            {
                throw TlsFailure(operation, e);
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                Client.ForgetScheme(Registry, baseUri);
                throw new RegistryException(operation, Registry, Name, e.Message, e.StatusCode, innerException: e);
            }
            if (canRetry && RegistryException.IsTransientStatus(response.StatusCode))
            {
                var delay = Client.RetryDelay(attempt, response);
                response.Dispose();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return response;
        }
    }

    private RegistryException TlsFailure(string operation, HttpRequestException e) => new(operation, Registry, Name,
        $"TLS handshake failed: {e.InnerException?.Message ?? e.Message} (put the registry's CA certificate in the CA directory, or list the host as an insecure registry)",
        innerException: e);

    private static bool IsTransientFailure(Exception e, StallTimer timer) => e switch
    {
        OperationCanceledException => timer.HasFired,
        HttpRequestException { StatusCode: null } h => h.InnerException is SocketException or IOException || h.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded,
        IOException => true,
        _ => false,
    };

    /// <summary><c>v2/&lt;name&gt;/&lt;rest&gt;</c> relative to the base URI.</summary>
    internal Uri ApiUri(Uri baseUri, string rest) => new(baseUri, $"v2/{Name}/{rest}");
}

/// <summary>A base image as a build needs it: the platform's manifest, its descriptor and the parsed config.</summary>
public sealed record ImageResolution(Descriptor ManifestDescriptor, ImageManifest Manifest, ImageConfig Config, Descriptor? IndexDescriptor);
