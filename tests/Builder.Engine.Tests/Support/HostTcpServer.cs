using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Builder.Engine.Tests.Support;

/// <summary>
/// A TCP server on the host (by default on 127.0.0.1) that answers every connection with
/// <see cref="Reply"/> and closes it, counting the connections it accepted.
/// </summary>
public sealed class HostTcpServer : IAsyncDisposable
{
    public const string Reply = "hello from the host's loopback";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _connections;

    private HostTcpServer(IPAddress address)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public static HostTcpServer StartOnLoopback() => new(IPAddress.Loopback);

    /// <summary>A server on one of the host's own non-loopback IPv4 addresses: "outside" as a container sees it.</summary>
    public static HostTcpServer StartOnHostAddress()
    {
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? throw new InvalidOperationException("the host has no non-loopback IPv4 address to test outbound connections with");
        return new(address);
    }

    public IPAddress Address => ((IPEndPoint)_listener.LocalEndpoint).Address;

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Reply + "\n"), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        _stop.Dispose();
    }
}
