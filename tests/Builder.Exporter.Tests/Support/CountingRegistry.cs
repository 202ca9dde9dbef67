using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Builder.Exporter.Tests.Support;

/// <summary>
/// A registry that answers every request with 503 and counts the manifest requests it saw: enough to tell
/// whether a pull retried. Plain HTTP on 127.0.0.1 (anything that is not HTTP, like a TLS probe, is dropped).
/// </summary>
public sealed class CountingRegistry : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _manifestRequests;

    public CountingRegistry()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int ManifestRequests => Volatile.Read(ref _manifestRequests);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var read = await stream.ReadAsync(buffer, _stop.Token);
            var request = Encoding.ASCII.GetString(buffer, 0, read);
            if (!request.StartsWith("GET ", StringComparison.Ordinal) && !request.StartsWith("HEAD ", StringComparison.Ordinal))
            {
                return;
            }
            if (request.Split('\n')[0].Contains("/manifests/", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _manifestRequests);
            }
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), _stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
