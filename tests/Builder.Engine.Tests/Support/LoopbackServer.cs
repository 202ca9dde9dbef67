using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Builder.Engine.Tests.Support;

/// <summary>
/// A TCP server on the host's 127.0.0.1 that answers every connection with <see cref="Reply"/>
/// and closes it, counting the connections it accepted.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    public const string Reply = "hello from the host's loopback";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _connections;

    private LoopbackServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public static LoopbackServer Start() => new();

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
