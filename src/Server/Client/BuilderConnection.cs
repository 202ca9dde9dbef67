using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Builder.Server.Hosting;
using Grpc.Net.Client;

namespace Builder.Server.Client;

/// <summary>Client TLS material: this client's certificate and key, and the CA the server's certificate must chain to (all PEM).</summary>
public sealed record ClientTls(string Certificate, string Key, string CaCertificate);

/// <summary>
/// A channel to a <c>builder serve</c>: over its unix socket, or TCP with mutual TLS (or plain, for a
/// loopback server started with <c>--insecure</c>). The server's certificate is checked against the given
/// CA only, never the system's roots.
/// </summary>
public sealed class BuilderConnection : IDisposable
{
    private BuilderConnection(ServerAddress address, GrpcChannel channel)
    {
        Address = address;
        Channel = channel;
        Client = new Protocol.Builder.BuilderClient(channel);
    }

    public ServerAddress Address { get; }

    public GrpcChannel Channel { get; }

    public Protocol.Builder.BuilderClient Client { get; }

    /// <summary>Opens a channel (lazily connected) to <paramref name="address"/>.</summary>
    public static BuilderConnection Open(ServerAddress address, ClientTls? tls, int maxMessageSize = 16 << 20)
    {
        ArgumentNullException.ThrowIfNull(address);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        };
        string uri;
        if (address.IsUnix)
        {
            var endpoint = new UnixDomainSocketEndPoint(address.SocketPath!);
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
            uri = "http://localhost";
        }
        else if (tls is not null)
        {
            var certificate = X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
            var authority = X509CertificateLoader.LoadCertificateFromFile(tls.CaCertificate);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, serverCertificate, _, errors) =>
                    serverCertificate is X509Certificate2 server
                    && (errors & ~(SslPolicyErrors.RemoteCertificateChainErrors)) == SslPolicyErrors.None
                    && BuilderServer.ChainsTo(server, authority),
            };
            uri = $"https://{Bracket(address.Host!)}:{address.Port}";
        }
        else
        {
            uri = $"http://{Bracket(address.Host!)}:{address.Port}";
        }
        var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = maxMessageSize,
        });
        return new BuilderConnection(address, channel);
    }

    private static string Bracket(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    public void Dispose() => Channel.Dispose();
}
