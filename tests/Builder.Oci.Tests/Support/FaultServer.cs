using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Builder.Oci.Tests.Support;

/// <summary>One request as a fault server saw it.</summary>
public sealed record SeenRequest(string Method, string PathAndQuery, string? Authorization, string Accept);

/// <summary>
/// A small HTTP server (Kestrel) on a loopback address with a free port whose answers the test
/// scripts; records every request with its Authorization header.
/// </summary>
public sealed class FaultServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<SeenRequest> _requests = new();

    private FaultServer(WebApplication app, string host)
    {
        _app = app;
        Host = host;
    }

    /// <summary>host:port</summary>
    public string Host { get; }

    public IReadOnlyList<SeenRequest> Requests => _requests.ToArray();

    public static async Task<FaultServer> StartAsync(Func<HttpContext, Task> handle, string address = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Parse(address), 0));
        var app = builder.Build();
        FaultServer? server = null;
        app.Run(async context =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            server!._requests.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                authorization.Length == 0 ? null : authorization, context.Request.Headers.Accept.ToString()));
            await handle(context);
        });
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        server = new FaultServer(app, bound.Authority);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
