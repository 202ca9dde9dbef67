using System.Collections.Concurrent;
using System.Net;

namespace Builder.Oci.Registry.Transport;

/// <summary>
/// The bottom of the pipeline: one connection pool per host:port, so each host's TLS check knows
/// which host it is for (a certificate callback only sees the host name, not the port).
/// </summary>
internal sealed class PerHostHandler(RegistryTrust trust, TimeSpan connectTimeout) : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _hosts = new(StringComparer.OrdinalIgnoreCase);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var authority = request.RequestUri?.Authority ?? throw new ArgumentException("the request has no absolute URI", nameof(request));
        var invoker = _hosts.GetOrAdd(authority, a => new HttpMessageInvoker(new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // RedirectHandler follows them, dropping credentials
            AutomaticDecompression = DecompressionMethods.None, // blobs are verified byte for byte
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            UseCookies = false,
            SslOptions = { RemoteCertificateValidationCallback = trust.CallbackFor(a) },
        }));
        return invoker.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var invoker in _hosts.Values)
            {
                invoker.Dispose();
            }
        }
        base.Dispose(disposing);
    }
}
