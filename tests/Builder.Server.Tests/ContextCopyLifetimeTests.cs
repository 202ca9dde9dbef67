using Builder.Server.Protocol;
using Builder.TestSupport;
using Google.Protobuf;
using Grpc.Core;

namespace Builder.Server.Tests;

/// <summary>The server's per-client context copies: expiry after --context-ttl, removal by prune, and a restart dropping half-received ones.</summary>
public sealed class ContextCopyLifetimeTests
{
    private const string Dockerfile = "FROM scratch\nCOPY . /ctx/\n";

    [Fact]
    public async Task ACopyUnusedLongerThanTheTtl_IsPruned_AndPruneAllRemovesEveryCopy()
    {
        Capabilities.RequireRoot();
        await using var server = await TestServer.StartAsync(o => o with { ContextTtl = TimeSpan.FromDays(2) });
        using var connection = server.Connect();
        var context = Builds.TempContext(Dockerfile);
        await File.WriteAllTextAsync(Path.Combine(context, "data.txt"), new string('d', 5000), TestContext.Current.CancellationToken);
        var contextBytes = 5000 + Dockerfile.Length;
        Assert.Equal(contextBytes, (await BuildAsync(connection, context, "old")).Context!.BytesReceived);
        Assert.Equal(contextBytes, (await BuildAsync(connection, context, "recent")).Context!.BytesReceived);
        var copies = Path.Combine(server.DataRootPath, "server", "contexts");
        Assert.Equal(2, Directory.GetDirectories(copies).Length);

        // Both copies were last used three days ago; then a build uses "recent" again. Prune removes "old" only.
        foreach (var copy in Directory.GetDirectories(copies))
        {
            File.SetLastWriteTimeUtc(Path.Combine(copy, "used"), DateTime.UtcNow.AddDays(-3));
        }
        Assert.Equal(0, (await BuildAsync(connection, context, "recent")).Context!.BytesReceived);
        var old = Assert.Single(Directory.GetDirectories(copies), d => File.GetLastWriteTimeUtc(Path.Combine(d, "used")) < DateTime.UtcNow.AddDays(-1));
        var pruned = await connection.Client.PruneAsync(new PruneRequest(), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(1, pruned.ContextCopiesRemoved);
        Assert.Contains("1 context copy", pruned.Summary);
        Assert.True(pruned.ReclaimedBytes >= contextBytes);
        Assert.False(Directory.Exists(old));
        Assert.Single(Directory.GetDirectories(copies));

        // The pruned copy is rebuilt from scratch; the kept one is still incremental.
        Assert.Equal(contextBytes, (await BuildAsync(connection, context, "old")).Context!.BytesReceived);
        Assert.Equal(0, (await BuildAsync(connection, context, "recent")).Context!.BytesReceived);

        var all = await connection.Client.PruneAsync(new PruneRequest { All = true }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, all.ContextCopiesRemoved);
        Assert.Empty(Directory.GetDirectories(copies));
        Assert.Equal(contextBytes, (await BuildAsync(connection, context, "recent")).Context!.BytesReceived);
    }

    [Fact]
    public async Task ARestart_RemovesHalfReceivedCopies_AndKeepsCompleteOnes()
    {
        Capabilities.RequireRoot();
        var first = await TestServer.StartAsync();
        first.KeepDirectory = true;
        var directory = first.Directory;
        var context = Builds.TempContext(Dockerfile);
        await using (first)
        {
            using var connection = first.Connect();
            Assert.True((await BuildAsync(connection, context, "complete")).Context!.BytesReceived > 0);

            // A client that announces a file and goes away halfway through it.
            using var call = connection.Client.Build(cancellationToken: TestContext.Current.CancellationToken);
            await call.RequestStream.WriteAsync(new ClientMessage { Start = Builds.Start("FROM scratch\nCOPY big /\n", "half") }, TestContext.Current.CancellationToken);
            var manifest = new ContextManifest { Done = true };
            manifest.Entries.Add(new ContextEntry { Path = "big", Type = EntryType.File, Mode = 0x1A4, Size = 1000 });
            await call.RequestStream.WriteAsync(new ClientMessage { Manifest = manifest }, TestContext.Current.CancellationToken);
            Assert.True(await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken));
            Assert.Equal(ServerMessage.KindOneofCase.Files, call.ResponseStream.Current.KindCase);
            await call.RequestStream.WriteAsync(new ClientMessage { File = new FileChunk { Index = 0, Data = ByteString.CopyFrom(new byte[400]) } }, TestContext.Current.CancellationToken);
            await call.RequestStream.CompleteAsync();
            await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken))
                {
                }
            });
        }
        var copies = Path.Combine(directory, "root", "server", "contexts");
        Assert.Equal(2, Directory.GetDirectories(copies).Length);
        Assert.Single(Directory.GetDirectories(copies), d => !File.Exists(Path.Combine(d, "manifest")));

        await using var second = await TestServer.StartAsync(directory: directory);
        var left = Assert.Single(Directory.GetDirectories(copies));
        Assert.True(File.Exists(Path.Combine(left, "manifest")));
        using var again = second.Connect();
        Assert.Equal(0, (await BuildAsync(again, context, "complete")).Context!.BytesReceived);
    }

    private static async Task<Client.RemoteBuildSucceeded> BuildAsync(Client.BuilderConnection connection, string context, string contextId)
    {
        var sink = new RecordingSink();
        using var output = new MemoryStream();
        return Builds.Succeeded(await Builds.RunAsync(connection, Builds.Start(Dockerfile, contextId, "type=tar,dest=out.tar"), context, sink, output: output,
            cancellationToken: TestContext.Current.CancellationToken), sink);
    }
}
