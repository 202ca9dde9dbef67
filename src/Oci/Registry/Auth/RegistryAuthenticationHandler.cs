using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Builder.Oci.Registry.Auth;

/// <summary>
/// Adds registry authentication to requests: anonymous, Basic, or the bearer token flow of the
/// Docker registry token spec (a 401 with <c>WWW-Authenticate: Bearer realm=…,service=…,scope=…</c>,
/// then <c>GET realm?service=…&amp;scope=…</c> for a token, cached per host and scope until it
/// expires). Credentials go only to the host they belong to: the registry's Basic credentials are
/// never sent to a token realm on another host (that host gets its own credentials, if it has any),
/// and a host without credentials gets anonymous requests.
/// </summary>
public sealed class RegistryAuthenticationHandler : DelegatingHandler
{
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);

    private readonly ICredentialProvider _credentials;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _tokens = new(StringComparer.Ordinal);

    public RegistryAuthenticationHandler(ICredentialProvider credentials, HttpMessageHandler innerHandler, TimeProvider? time = null)
        : base(innerHandler)
    {
        _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
        _time = time ?? TimeProvider.System;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request.RequestUri);
        if (request.Headers.Authorization is not null)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        var host = request.RequestUri.Authority;
        var scopes = request.Options.TryGetValue(AuthScopes.Key, out var s) ? s : [];

        // Known scheme for this host: authenticate up front instead of waiting for a 401.
        if (_challenges.TryGetValue(host, out var known))
        {
            request.Headers.Authorization = await AuthorizationFor(host, known, scopes, useCache: true, cancellationToken).ConfigureAwait(false);
        }
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || !CanResend(request))
        {
            return response;
        }
        var challenge = response.Headers.WwwAuthenticate
            .Select(h => AuthChallenge.Parse(h.Scheme, h.Parameter))
            .FirstOrDefault(c => c.IsBearer || c.IsBasic);
        if (challenge is null)
        {
            return response;
        }
        _challenges[host] = challenge;
        var allScopes = challenge.Scope is { Length: > 0 } challenged ? scopes.Append(challenged).Distinct().ToArray() : scopes;
        var authorization = await AuthorizationFor(host, challenge, allScopes, useCache: false, cancellationToken).ConfigureAwait(false);
        if (authorization is null || authorization.Equals(request.Headers.Authorization))
        {
            return response; // nothing new to offer: let the caller report the 401
        }
        response.Dispose();
        request.Headers.Authorization = authorization;
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Only requests without a body, or with a buffered one, can be sent a second time.</summary>
    private static bool CanResend(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent;

    private async Task<AuthenticationHeaderValue?> AuthorizationFor(string host, AuthChallenge challenge, IReadOnlyList<string> scopes, bool useCache, CancellationToken cancellationToken)
    {
        if (challenge.IsBasic)
        {
            return _credentials.GetCredentials(host) is { } credentials ? Basic(credentials) : null;
        }
        var realm = challenge.Realm is { Length: > 0 } r && Uri.TryCreate(r, UriKind.Absolute, out var realmUri) && realmUri.Scheme is "https" or "http"
            ? realmUri
            : throw new HttpRequestException($"registry {host} sent a bearer challenge without a valid realm ('{challenge.Realm}')");
        var cacheKey = $"{host}|{challenge.Service}|{string.Join(' ', scopes.Order(StringComparer.Ordinal))}";
        if (useCache && _tokens.TryGetValue(cacheKey, out var cached) && cached.Expires > _time.GetUtcNow())
        {
            return new AuthenticationHeaderValue("Bearer", cached.Token);
        }
        var (token, lifetime) = await FetchToken(host, realm, challenge.Service, scopes, cancellationToken).ConfigureAwait(false);
        _tokens[cacheKey] = (token, _time.GetUtcNow() + lifetime - ExpiryMargin);
        return new AuthenticationHeaderValue("Bearer", token);
    }

    private async Task<(string Token, TimeSpan Lifetime)> FetchToken(string registryHost, Uri realm, string? service, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var query = new StringBuilder(realm.Query.Length > 1 ? realm.Query[1..] : "");
        if (service is { Length: > 0 })
        {
            query.Append(query.Length > 0 ? "&" : "").Append("service=").Append(Uri.EscapeDataString(service));
        }
        foreach (var scope in scopes)
        {
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(scope));
        }
        var uri = new UriBuilder(realm) { Query = query.ToString() }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        // The realm host's own credentials, never the registry's (unless they are the same host).
        if (_credentials.GetCredentials(realm.Authority) is { } credentials)
        {
            request.Headers.Authorization = Basic(credentials);
        }
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"token request to {realm.GetLeftPart(UriPartial.Path)} for registry {registryHost} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}",
                null, response.StatusCode);
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        var root = json.RootElement;
        var token = (root.TryGetProperty("token", out var t) ? t.GetString() : null)
            ?? (root.TryGetProperty("access_token", out var a) ? a.GetString() : null);
        if (string.IsNullOrEmpty(token))
        {
            throw new HttpRequestException($"token response from {realm.GetLeftPart(UriPartial.Path)} for registry {registryHost} has no token");
        }
        var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : DefaultTokenLifetime;
        return (token, lifetime);
    }

    private static AuthenticationHeaderValue Basic(RegistryCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Username + ":" + credentials.Password)));
}
