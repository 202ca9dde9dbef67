using System.Formats.Tar;
using Builder.Server.Protocol;
using Builder.TestSupport;
using Grpc.Core;

namespace Builder.Server.Tests;

/// <summary>Incremental context sync: only changed files travel; the server's copy is validated and contained.</summary>
public sealed class ContextSyncTests
{
    [Fact]
    public async Task TouchingOneFileOf2000_SendsOnlyThatFilesBytes()
    {
        Capabilities.RequireRoot();
        await using var server = await TestServer.StartAsync();
        using var connection = server.Connect();
        var context = Builds.TempContext("FROM scratch\nCOPY . /ctx/\n");
        for (var d = 0; d < 20; d++)
        {
            var folder = Path.Combine(context, $"dir{d:D2}");
            Directory.CreateDirectory(folder);
            for (var f = 0; f < 100; f++)
            {
                File.WriteAllText(Path.Combine(folder, $"file{f:D3}.txt"), $"file {d}/{f} " + new string('x', 100 + f));
            }
        }
        File.CreateSymbolicLink(Path.Combine(context, "link"), "dir00/file000.txt");
        File.WriteAllText(Path.Combine(context, ".dockerignore"), "ignored/\n");
        Directory.CreateDirectory(Path.Combine(context, "ignored"));
        File.WriteAllText(Path.Combine(context, "ignored", "big"), new string('i', 50_000));
        var excludes = new[] { "ignored/" };

        var first = await RunTarBuildAsync(connection, context, excludes);
        var totalBytes = new DirectoryInfo(context).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => !f.FullName.Contains("/ignored/", StringComparison.Ordinal) && f.LinkTarget is null).Sum(f => f.Length);
        Assert.Equal(totalBytes, first.Outcome.Context!.BytesReceived);
        Assert.Equal(2001u + 1u, first.Outcome.Context.FilesReceived); // 2,000 files, the Dockerfile and .dockerignore
        Assert.False(first.Files.ContainsKey("ctx/ignored/big"));
        Assert.Equal("dir00/file000.txt", first.Links["ctx/link"]);

        var touched = Path.Combine(context, "dir07", "file042.txt");
        File.WriteAllText(touched, "changed content, a different length");
        var second = await RunTarBuildAsync(connection, context, excludes);
        Assert.Equal(1u, second.Outcome.Context!.FilesReceived);
        Assert.Equal(new FileInfo(touched).Length, second.Outcome.Context.BytesReceived);
        Assert.Equal("changed content, a different length", second.Files["ctx/dir07/file042.txt"]);

        // A removed file disappears from the copy, and nothing is sent.
        File.Delete(Path.Combine(context, "dir03", "file001.txt"));
        var third = await RunTarBuildAsync(connection, context, excludes);
        Assert.Equal(0, third.Outcome.Context!.BytesReceived);
        Assert.False(third.Files.ContainsKey("ctx/dir03/file001.txt"));
        Assert.Equal(1999 + 2, third.Files.Count(f => f.Key.StartsWith("ctx/", StringComparison.Ordinal)));
    }

    private static async Task<(Client.RemoteBuildSucceeded Outcome, Dictionary<string, string> Files, Dictionary<string, string> Links)> RunTarBuildAsync(
        Client.BuilderConnection connection, string context, string[] excludes)
    {
        using var output = new MemoryStream();
        var sink = new RecordingSink();
        var outcome = await Client.RemoteBuild.RunAsync(connection.Client, Builds.Start(File.ReadAllText(Path.Combine(context, "Dockerfile")), "sync-test", "type=tar,dest=out.tar"),
            context, excludes, new Client.RemoteBuildHandlers { Progress = sink, Output = output }, TestContext.Current.CancellationToken);
        var succeeded = Builds.Succeeded(outcome, sink);
        output.Position = 0;
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        using var reader = new TarReader(output);
        while (reader.GetNextEntry() is { } entry)
        {
            var name = entry.Name.TrimStart('.', '/').TrimEnd('/');
            if (entry.EntryType == TarEntryType.SymbolicLink)
            {
                links[name] = entry.LinkName;
            }
            else if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
            {
                files[name] = new StreamReader(data).ReadToEnd();
            }
        }
        return (succeeded, files, links);
    }

    public static TheoryData<string, string[]> BadManifests => new()
    {
        { "../escape", ["../escape"] },
        { "absolute", ["/etc/escape"] },
        { "dot part", ["a/./b"] },
        { "duplicate", ["same", "same"] },
        { "under a symlink", ["link->/etc", "link/escape"] },
        { "under a file", ["plain", "plain/escape"] },
        { "parent not listed", ["missing/escape"] },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public async Task BadPaths_AreInvalidArgument_AndTheServerKeepsServing(string name, string[] paths)
    {
        await using var server = await TestServer.StartAsync();
        using var connection = server.Connect();
        var manifest = new ContextManifest { Done = true };
        foreach (var path in paths)
        {
            var arrow = path.IndexOf("->", StringComparison.Ordinal);
            manifest.Entries.Add(arrow > 0
                ? new ContextEntry { Path = path[..arrow], Type = EntryType.Symlink, LinkTarget = path[(arrow + 2)..], Mode = 0x1FF }
                : new ContextEntry { Path = path, Type = EntryType.File, Mode = 0x1A4, Size = 3 });
        }
        var error = await SendRawAsync(connection, [new ClientMessage { Start = Builds.Start("FROM scratch\nCOPY . /\n", "bad-" + name) }, new ClientMessage { Manifest = manifest }]);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("context", error.Status.Detail);
        Assert.False(File.Exists("/etc/escape"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(server.Directory, "escape", SearchOption.AllDirectories));
        await AssertStillServingAsync(connection);
    }

    [Fact]
    public async Task MalformedAndOversizedMessages_AreInvalidArgument_AndTheServerKeepsServing()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxMessageSize = 64 << 10, MaxContextSize = 1000 });
        using var connection = server.Connect();

        var notStart = await SendRawAsync(connection, [new ClientMessage { Manifest = new ContextManifest { Done = true } }]);
        Assert.Equal(StatusCode.InvalidArgument, notStart.StatusCode);
        Assert.Contains("first message", notStart.Status.Detail);

        var oversized = await SendRawAsync(connection, [new ClientMessage { Start = Builds.Start("FROM scratch\n# " + new string('x', 100 << 10) + "\n", "big") }]);
        Assert.Equal(StatusCode.InvalidArgument, oversized.StatusCode);
        Assert.Contains("limit", oversized.Status.Detail);

        var manifest = new ContextManifest { Done = true };
        manifest.Entries.Add(new ContextEntry { Path = "huge", Type = EntryType.File, Mode = 0x1A4, Size = 5000 });
        var tooLarge = await SendRawAsync(connection, [new ClientMessage { Start = Builds.Start("FROM scratch\n", "too-large") }, new ClientMessage { Manifest = manifest }]);
        Assert.Equal(StatusCode.InvalidArgument, tooLarge.StatusCode);
        Assert.Contains("--max-context-size", tooLarge.Status.Detail);

        var badOutput = await SendRawAsync(connection, [new ClientMessage { Start = Builds.Start("FROM scratch\n", "bad-output", "type=nonsense") }]);
        Assert.Equal(StatusCode.InvalidArgument, badOutput.StatusCode);

        // Undecodable bytes in a gRPC frame.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await socket.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(server.SocketPath), ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        });
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x34];
        var frame = new byte[5 + garbage.Length];
        frame[4] = (byte)garbage.Length;
        garbage.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://localhost/builder.v1.Builder/Build")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, TestContext.Current.CancellationToken);
        var status = response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.First()
            : response.Headers.TryGetValues("grpc-status", out var headerValues) ? headerValues.First() : null;
        Assert.Equal(((int)StatusCode.InvalidArgument).ToString(System.Globalization.CultureInfo.InvariantCulture), status);

        await AssertStillServingAsync(connection);
    }

    private static async Task<RpcException> SendRawAsync(Client.BuilderConnection connection, ClientMessage[] messages)
    {
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = connection.Client.Build(cancellationToken: TestContext.Current.CancellationToken);
            try
            {
                foreach (var message in messages)
                {
                    await call.RequestStream.WriteAsync(message);
                }
                await call.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                // The server may end the call while we still write; its status is read below.
            }
            catch (InvalidOperationException)
            {
            }
            while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
            {
            }
        });
    }

    private static async Task AssertStillServingAsync(Client.BuilderConnection connection)
    {
        var context = Builds.TempContext("FROM scratch\nCOPY Dockerfile /\n");
        var outcome = await Builds.RunAsync(connection, Builds.Start("FROM scratch\nCOPY Dockerfile /\n", "after-bad"), context, cancellationToken: TestContext.Current.CancellationToken);
        Assert.IsType<Client.RemoteBuildSucceeded>(outcome);
    }
}
