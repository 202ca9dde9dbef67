using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Microsoft.AspNetCore.Connections.Features;

namespace Builder.Server.Hosting;

/// <summary>
/// Who a call comes from, for keeping clients' context copies apart: the client certificate's SHA-256
/// (mutual TLS), else the peer's uid on a unix socket (SO_PEERCRED), else the transport's peer text.
/// </summary>
internal static class ClientIdentity
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static string Of(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        if (http.Connection.ClientCertificate is X509Certificate2 certificate)
        {
            return "cert:" + certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        }
        if (http.Features.Get<IConnectionSocketFeature>()?.Socket is { AddressFamily: AddressFamily.Unix } socket)
        {
            Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == 12)
            {
                return "uid:" + BitConverter.ToUInt32(credentials[4..8]);
            }
            return "unix";
        }
        return "peer:" + context.Peer;
    }
}
