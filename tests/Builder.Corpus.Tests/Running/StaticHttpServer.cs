using System.Net;
using System.Net.Sockets;
using Builder.TestSupport;

namespace Builder.Corpus.Tests.Running;

/// <summary>
/// Serves tests/dockerfiles/http on 127.0.0.1 (a free port) for the ADD URL cases: GET only,
/// with a fixed Last-Modified so results do not depend on checkout times. One per process.
/// </summary>
public sealed class StaticHttpServer
{
    private static readonly Lazy<StaticHttpServer> Shared = new(() => new StaticHttpServer());
    private static readonly DateTimeOffset LastModified = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly HttpListener _listener = new();
    private readonly string _root = Path.Combine(SharedData.RepoRoot, "tests", "dockerfiles", "http");

    private StaticHttpServer()
    {
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(BaseUrl + "/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public static StaticHttpServer Instance => Shared.Value;

    /// <summary>"http://127.0.0.1:PORT" without a trailing slash.</summary>
    public string BaseUrl { get; }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => Handle(context));
        }
    }

    private async Task Handle(HttpListenerContext context)
    {
        using var response = context.Response;
        var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath).TrimStart('/');
        var file = Path.GetFullPath(Path.Combine(_root, relative));
        if (!file.StartsWith(_root + "/", StringComparison.Ordinal) || !File.Exists(file))
        {
            response.StatusCode = 404;
            return;
        }
        response.Headers["Last-Modified"] = LastModified.ToString("R");
        response.ContentType = "application/octet-stream";
        await using var stream = File.OpenRead(file);
        response.ContentLength64 = stream.Length;
        if (context.Request.HttpMethod != "HEAD")
        {
            await stream.CopyToAsync(response.OutputStream);
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
