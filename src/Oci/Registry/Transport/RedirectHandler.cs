using System.Net;

namespace Builder.Oci.Registry.Transport;

/// <summary>
/// Follows redirects of GET and HEAD requests (registries send blob downloads to storage on another
/// host) with a fresh request that carries no Authorization or Cookie header: the handlers below
/// decide anew, for the new host, which credentials (if any) belong to it. An https → http
/// downgrade is refused.
/// </summary>
public sealed class RedirectHandler(HttpMessageHandler innerHandler, int maxRedirects = 10) : DelegatingHandler(innerHandler)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var current = request;
        for (var hop = 0; IsRedirect(response.StatusCode) && (current.Method == HttpMethod.Get || current.Method == HttpMethod.Head); hop++)
        {
            if (response.Headers.Location is not { } location)
            {
                return response;
            }
            if (hop >= maxRedirects)
            {
                response.Dispose();
                throw new HttpRequestException($"too many redirects (more than {maxRedirects}) for {request.RequestUri}");
            }
            var target = location.IsAbsoluteUri ? location : new Uri(current.RequestUri!, location);
            if (current.RequestUri!.Scheme == Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttps)
            {
                response.Dispose();
                throw new HttpRequestException($"refusing redirect from {current.RequestUri.GetLeftPart(UriPartial.Authority)} to insecure {target.GetLeftPart(UriPartial.Authority)}");
            }
            var next = new HttpRequestMessage(current.Method, target) { Version = current.Version, VersionPolicy = current.VersionPolicy };
            foreach (var header in current.Headers)
            {
                if (!header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) && !header.Key.Equals("Cookie", StringComparison.OrdinalIgnoreCase))
                {
                    next.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }
            // Scopes describe the registry's repository; they mean nothing to another host.
            if (target.Authority == request.RequestUri!.Authority)
            {
                foreach (var option in current.Options)
                {
                    ((IDictionary<string, object?>)next.Options)[option.Key] = option.Value;
                }
            }
            response.Dispose();
            if (current != request)
            {
                current.Dispose();
            }
            current = next;
            response = await base.SendAsync(current, cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
