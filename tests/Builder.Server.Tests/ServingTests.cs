using System.Net.Security;
using Builder.Server.Client;
using Builder.Server.Hosting;
using Builder.Server.Protocol;
using Builder.TestSupport;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Builder.Server.Tests;

/// <summary>Listening: the unix socket, mutual TLS on loopback, refusals of plain TCP, health.</summary>
public sealed class ServingTests
{
    [Fact]
    public async Task UnixSocket_BuildsAnImage_AndAnswersHealth()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(server.SocketPath));
        using var connection = server.Connect();

        var health = await new Health.HealthClient(connection.Channel).CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        var context = Builds.TempContext("");
        File.WriteAllText(Path.Combine(context, "greeting.txt"), "hello from the client\n");
        var sink = new RecordingSink();
        var start = Builds.Start($"FROM {busybox}\nCOPY greeting.txt /greeting.txt\nRUN cat /greeting.txt && echo built > /built\n", "unix-build");
        start.Tags.Add("remote/unix:1");
        var outcome = Builds.Succeeded(await Builds.RunAsync(connection, start, context, sink, cancellationToken: TestContext.Current.CancellationToken), sink);

        Assert.StartsWith("sha256:", outcome.ImageId);
        Assert.Contains("hello from the client", sink.Logs);
        var images = await connection.Client.ImagesAsync(new ImagesRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(images.Images, i => i.ConfigDigest == outcome.ImageId && i.Names.Contains("docker.io/remote/unix:1"));
        var inspect = await connection.Client.InspectAsync(new InspectRequest { Image = "remote/unix:1" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(outcome.ImageId, inspect.Image.ConfigDigest);
    }

    [Fact]
    public async Task MutualTls_OnLoopback_AcceptsTheClientCertificate_AndRejectsOthersBeforeAnyCall()
    {
        var directory = Directory.CreateTempSubdirectory("builder-tls-").FullName;
        var certificates = TestCertificates.Create(Path.Combine(directory, "good"), "good");
        var stranger = TestCertificates.Create(Path.Combine(directory, "other"), "other");
        var port = TestCertificates.FreePort();
        var tcp = ServerAddress.Parse($"tcp://127.0.0.1:{port}");
        await using var server = await TestServer.StartAsync(o => o with
        {
            Addresses = [.. o.Addresses, tcp],
            TlsCertificate = certificates.ServerCertificate,
            TlsKey = certificates.ServerKey,
            TlsCaCertificate = certificates.CaCertificate,
        });

        using (var good = server.Connect(certificates.Client, tcp))
        {
            var health = await new Health.HealthClient(good.Channel).CheckAsync(new HealthCheckRequest(), cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
            Assert.NotNull(await good.Client.ImagesAsync(new ImagesRequest(), cancellationToken: TestContext.Current.CancellationToken));
        }

        // A client certificate from another CA (the server's certificate is trusted, so only the client side is wrong).
        using (var foreign = server.Connect(stranger.Client with { CaCertificate = certificates.CaCertificate }, tcp))
        {
            await AssertRejectedAsync(foreign.Client, server);
        }

        // No client certificate at all.
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        };
        using (var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler }))
        {
            await AssertRejectedAsync(new Protocol.Builder.BuilderClient(channel), server);
        }
        Directory.Delete(directory, recursive: true);
    }

    private static async Task AssertRejectedAsync(Protocol.Builder.BuilderClient client, TestServer server)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var call = client.Build(cancellationToken: TestContext.Current.CancellationToken);
            await call.RequestStream.WriteAsync(new ClientMessage { Start = Builds.Start("FROM scratch\n", "rejected") });
            await call.RequestStream.WriteAsync(new ClientMessage { Manifest = new ContextManifest { Done = true } });
            await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken);
        });
        // The handshake fails (Unavailable), or with TLS 1.3 the server drops the connection right after it
        // (Internal, or the HTTP/2 write fails underneath).
        Assert.True(error is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal } or IOException, $"unexpected: {error}");
        Assert.False(Directory.Exists(Path.Combine(server.DataRootPath, "server", "contexts")), "the server began a build for a client it should have refused");
        var images = await Assert.ThrowsAsync<RpcException>(async () => await client.ImagesAsync(new ImagesRequest(), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains(images.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
    }

    [Fact]
    public async Task PlainTcp_IsRefused_WithoutInsecure_AndOffLoopback()
    {
        var noTls = await Assert.ThrowsAsync<ServerConfigurationException>(() =>
            TestServer.StartAsync(o => o with { Addresses = [ServerAddress.Parse($"tcp://127.0.0.1:{TestCertificates.FreePort()}")] }));
        Assert.Contains("--insecure", noTls.Message);
        var offLoopback = await Assert.ThrowsAsync<ServerConfigurationException>(() =>
            TestServer.StartAsync(o => o with { Addresses = [ServerAddress.Parse($"tcp://0.0.0.0:{TestCertificates.FreePort()}")], Insecure = true }));
        Assert.Contains("loopback", offLoopback.Message);

        var port = TestCertificates.FreePort();
        var address = ServerAddress.Parse($"tcp://127.0.0.1:{port}");
        await using var server = await TestServer.StartAsync(o => o with { Addresses = [address], Insecure = true });
        using var connection = BuilderConnection.Open(address, null);
        Assert.NotNull(await connection.Client.ImagesAsync(new ImagesRequest(), cancellationToken: TestContext.Current.CancellationToken));
    }
}
