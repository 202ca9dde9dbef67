using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Builder.Server.Protocol;
using Builder.TestSupport;
using Google.Protobuf;
using Grpc.Core;

namespace Builder.Server.Tests;

/// <summary>
/// The build starts once the context's metadata is in: steps that read no context run meanwhile, and a
/// step that reads the context waits only for the files under its sources. The test plays the client
/// by hand, so it decides when each byte is sent; all assertions are about order, none about time.
/// </summary>
public sealed class LazyContextTests
{
    [Fact]
    public async Task StepsStartBeforeTheContextArrives_AndEachWaitsOnlyForWhatItReads()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        using var connection = server.Connect();
        var dockerfile = $"""
            FROM {busybox}
            RUN echo run-needs-no-context
            RUN --mount=type=bind,source=small.txt,target=/small.txt cat /small.txt
            COPY big.bin /big.bin
            RUN wc -c < /big.bin && sha256sum /big.bin
            """;
        var small = Encoding.UTF8.GetBytes("small-file-content-" + Guid.NewGuid().ToString("N") + "\n");
        var big = new byte[8 << 20];
        new Random(7).NextBytes(big);
        var other = Encoding.UTF8.GetBytes("not read by any step\n");
        var dockerfileBytes = Encoding.UTF8.GetBytes(dockerfile);
        // Manifest order puts what the build reads last, so the request order must come from the Dockerfile.
        var files = new (string Path, byte[] Content)[] { ("Dockerfile", dockerfileBytes), ("data/other.txt", other), ("big.bin", big), ("small.txt", small) };

        using var build = new HandClient(connection, TestContext.Current.CancellationToken);
        await build.SendAsync(new ClientMessage { Start = Builds.Start(dockerfile, "lazy-" + Guid.NewGuid().ToString("N")) });
        var manifest = new ContextManifest { Done = true };
        manifest.Entries.Add(new ContextEntry { Path = "data", Type = EntryType.Directory, Mode = 0x1ED, MtimeNs = 1_700_000_000_000_000_000 });
        foreach (var (path, content) in files.OrderBy(f => f.Path == "data/other.txt" ? 0 : 1))
        {
            manifest.Entries.Add(new ContextEntry { Path = path, Type = EntryType.File, Mode = 0x1A4, Size = content.Length, MtimeNs = 1_700_000_000_000_000_000 });
        }
        await build.SendAsync(new ClientMessage { Manifest = manifest });

        var request = await build.WaitForAsync(m => m.KindCase == ServerMessage.KindOneofCase.Files);
        var asked = request.Files.Indexes.Select(i => manifest.Entries[(int)i].Path).ToArray();
        Assert.Equal(["small.txt", "big.bin"], asked[..2]);
        Assert.Equal(4, asked.Length);

        // Nothing of the context has been sent: the base image is pulled and the first RUN runs anyway.
        await build.WaitForLogAsync("run-needs-no-context");
        Assert.Null(build.StatusOf("RUN cat /small.txt"));

        await build.SendFileAsync(request, manifest, "small.txt", small);
        await build.WaitForLogAsync(Encoding.UTF8.GetString(small).Trim());

        // Half of big.bin: the COPY that reads it must not begin, and the transfer is not done.
        await build.SendFileAsync(request, manifest, "big.bin", big, stopAfter: big.Length / 2);
        await build.WaitForAsync(m => m.KindCase == ServerMessage.KindOneofCase.Progress && m.Progress.Vertex is { State: Protocol.VertexState.Done } v && v.Name.Contains("RUN cat /small.txt", StringComparison.Ordinal));
        Assert.Null(build.StatusOf("COPY big.bin"));
        Assert.DoesNotContain(build.Received, m => m.KindCase == ServerMessage.KindOneofCase.ContextDone);

        var seenBeforeBigCompleted = build.Received.Count;
        await build.SendFileAsync(request, manifest, "big.bin", big, startAt: big.Length / 2);
        foreach (var path in asked[2..])
        {
            await build.SendFileAsync(request, manifest, path, files.Single(f => f.Path == path).Content);
        }
        var result = await build.WaitForAsync(m => m.KindCase == ServerMessage.KindOneofCase.Result);
        Assert.Equal(BuildResult.OutcomeOneofCase.Succeeded, result.Result.OutcomeCase);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(big)), build.Logs);
        Assert.Contains((8 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), build.Logs);

        // In order: the bind-mount RUN finished before the transfer did, and the COPY of the big file began
        // only after its last byte was sent.
        var messages = build.Received.ToList();
        var bindDone = messages.FindIndex(m => m.Progress?.Vertex is { State: Protocol.VertexState.Done } v && v.Name.Contains("RUN cat /small.txt", StringComparison.Ordinal));
        var contextDone = messages.FindIndex(m => m.KindCase == ServerMessage.KindOneofCase.ContextDone);
        var copyFirst = messages.FindIndex(m => m.Progress?.Vertex is { } v && v.Name.Contains("COPY big.bin", StringComparison.Ordinal));
        Assert.True(bindDone >= 0 && contextDone > bindDone && copyFirst >= seenBeforeBigCompleted,
            $"bind RUN done at {bindDone}, context done at {contextDone}, COPY big.bin first seen at {copyFirst}, big.bin completed after {seenBeforeBigCompleted}");
        Assert.Equal(4u, messages[contextDone].ContextDone.FilesReceived);
        Assert.Equal(small.Length + big.Length + other.Length + dockerfileBytes.Length, messages[contextDone].ContextDone.BytesReceived);
    }

    [Fact]
    public async Task ASecretIsAnsweredWhileAFileStreams_AndTheCopyIsComplete()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        using var connection = server.Connect();
        var dockerfile = $"""
            FROM {busybox}
            RUN --mount=type=secret,id=token test -s /run/secrets/token && echo secret-answered
            COPY . /ctx/
            RUN sha256sum /ctx/big.bin
            """;
        var context = Builds.TempContext(dockerfile);
        var big = new byte[24 << 20];
        new Random(11).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(context, "big.bin"), big, TestContext.Current.CancellationToken);
        Directory.CreateDirectory(Path.Combine(context, "sub"));
        await File.WriteAllTextAsync(Path.Combine(context, "sub", "a.txt"), "a", TestContext.Current.CancellationToken);
        var start = Builds.Start(dockerfile, "secret-while-streaming");
        start.SecretIds.Add("token");
        var sink = new RecordingSink();
        var outcome = Builds.Succeeded(await Builds.RunAsync(connection, start, context, sink, new DictionarySecrets(new Dictionary<string, string> { ["token"] = "t" }),
            cancellationToken: TestContext.Current.CancellationToken), sink);
        Assert.Contains("secret-answered", sink.Logs);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(big)), sink.Logs);
        Assert.Equal(big.Length + 1 + new FileInfo(Path.Combine(context, "Dockerfile")).Length, outcome.Context!.BytesReceived);

        // The copy was recorded: an unchanged rebuild sends nothing.
        var again = Builds.Succeeded(await Builds.RunAsync(connection, start, context, sink, new DictionarySecrets(new Dictionary<string, string> { ["token"] = "t" }),
            cancellationToken: TestContext.Current.CancellationToken), sink);
        Assert.Equal(0, again.Context!.BytesReceived);
    }

    [Fact]
    public async Task ATransferThatBreaksMidBuild_IsInvalidArgument_AndTheNextBuildResendsEverything()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        using var connection = server.Connect();
        var dockerfile = $"FROM {busybox}\nRUN echo early\nCOPY a.txt /a.txt\n";
        var contextId = "broken-" + Guid.NewGuid().ToString("N");
        using (var build = new HandClient(connection, TestContext.Current.CancellationToken))
        {
            await build.SendAsync(new ClientMessage { Start = Builds.Start(dockerfile, contextId) });
            var manifest = new ContextManifest { Done = true };
            manifest.Entries.Add(new ContextEntry { Path = "a.txt", Type = EntryType.File, Mode = 0x1A4, Size = 10 });
            await build.SendAsync(new ClientMessage { Manifest = manifest });
            await build.WaitForAsync(m => m.KindCase == ServerMessage.KindOneofCase.Files);
            // The RUN has finished: the broken transfer then cancels only the COPY waiting for a.txt.
            await build.WaitForAsync(m => m.Progress?.Vertex is { State: Protocol.VertexState.Done } v && v.Name.Contains("RUN echo early", StringComparison.Ordinal));
            // Eleven bytes for a ten-byte file.
            await build.SendAsync(new ClientMessage { File = new FileChunk { Index = 0, Data = ByteString.CopyFromUtf8("0123456789X"), Eof = true } });
            var error = await Assert.ThrowsAsync<RpcException>(() => build.WaitForAsync(m => m.KindCase == ServerMessage.KindOneofCase.Result));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Contains("a.txt", error.Status.Detail);
        }

        var context = Builds.TempContext(dockerfile);
        await File.WriteAllTextAsync(Path.Combine(context, "a.txt"), "0123456789", TestContext.Current.CancellationToken);
        var sink = new RecordingSink();
        var outcome = Builds.Succeeded(await Builds.RunAsync(connection, Builds.Start(dockerfile, contextId), context, sink, cancellationToken: TestContext.Current.CancellationToken), sink);
        Assert.Equal(2u, outcome.Context!.FilesReceived);
    }
}

/// <summary>A build stream driven message by message: everything the server sends is kept in order.</summary>
internal sealed class HandClient : IDisposable
{
    private readonly AsyncDuplexStreamingCall<ClientMessage, ServerMessage> _call;
    private readonly ConcurrentQueue<ServerMessage> _received = new();
    private readonly Task _reader;
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly CancellationToken _cancellationToken;

    public HandClient(Client.BuilderConnection connection, CancellationToken cancellationToken)
    {
        _cancellationToken = cancellationToken;
        _call = connection.Client.Build(cancellationToken: cancellationToken);
        _reader = Task.Run(async () =>
        {
            try
            {
                while (await _call.ResponseStream.MoveNext(cancellationToken))
                {
                    _received.Enqueue(_call.ResponseStream.Current);
                    _arrived.Release();
                }
            }
            finally
            {
                _arrived.Release();
            }
        }, cancellationToken);
    }

    public IReadOnlyCollection<ServerMessage> Received => _received;

    public string Logs => string.Concat(_received.Where(m => m.Progress?.Log is not null).Select(m => m.Progress.Log.Data.ToStringUtf8()));

    private string Steps => string.Join('\n', _received.Where(m => m.Progress?.Vertex is not null).Select(m => $"{m.Progress.Vertex.State} {m.Progress.Vertex.Name}"));

    public Task SendAsync(ClientMessage message) => _call.RequestStream.WriteAsync(message, _cancellationToken);

    /// <summary>The latest status of the step whose name contains <paramref name="name"/>, null when none was reported.</summary>
    public Protocol.VertexState? StatusOf(string name) =>
        _received.LastOrDefault(m => m.Progress?.Vertex is { } v && v.Name.Contains(name, StringComparison.Ordinal))?.Progress.Vertex.State;

    /// <summary>The first message matching; the call's failure if it ends first. Bounded so a server that never sends it fails the test instead of hanging it.</summary>
    public async Task<ServerMessage> WaitForAsync(Func<ServerMessage, bool> match)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        bound.CancelAfter(TimeSpan.FromMinutes(2));
        while (true)
        {
            if (_received.FirstOrDefault(match) is { } found)
            {
                return found;
            }
            if (_reader.IsCompleted)
            {
                await _reader;
                throw new Xunit.Sdk.XunitException($"the build ended without the awaited message; logs:\n{Logs}");
            }
            // The reader's last release happens before its task completes: wait for either.
            var signal = _arrived.WaitAsync(bound.Token);
            await Task.WhenAny(signal, _reader);
            if (signal.IsCanceled && !_cancellationToken.IsCancellationRequested)
            {
                throw new Xunit.Sdk.XunitException($"the awaited message never came; steps:\n{Steps}\nlogs:\n{Logs}");
            }
            _cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public Task WaitForLogAsync(string text) => WaitForAsync(_ => Logs.Contains(text, StringComparison.Ordinal));

    /// <summary>Sends the requested file's bytes from <paramref name="startAt"/>, up to <paramref name="stopAfter"/> (eof only at the end).</summary>
    public async Task SendFileAsync(ServerMessage request, ContextManifest manifest, string path, byte[] content, int startAt = 0, int? stopAfter = null)
    {
        var index = request.Files.Indexes.Single(i => manifest.Entries[(int)i].Path == path);
        var end = stopAfter ?? content.Length;
        const int chunk = 256 << 10;
        for (var offset = startAt; offset < end || (offset == 0 && end == 0); offset += chunk)
        {
            var length = Math.Min(chunk, end - offset);
            await SendAsync(new ClientMessage { File = new FileChunk { Index = index, Data = ByteString.CopyFrom(content, offset, length), Eof = offset + length == content.Length } });
            if (length == 0)
            {
                break;
            }
        }
    }

    public void Dispose()
    {
        _call.Dispose();
        _arrived.Dispose();
    }
}
