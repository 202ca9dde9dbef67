using System.Text;
using Builder.Server.Protocol;
using Builder.Solver.Progress;
using ProgressEvent = Builder.Solver.Progress.ProgressEvent;
using VertexLog = Builder.Solver.Progress.VertexLog;
using Builder.TestSupport;
using Grpc.Core;

namespace Builder.Server.Tests;

/// <summary>Sharing and isolation between builds, entitlements, and secrets asked of the client.</summary>
public sealed class BuildBehaviourTests
{
    [Fact]
    public async Task TwoClients_SameDockerfileAtOnce_RunTheStepOnce_AndGetTheSameDigest()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        // The step writes a random value: had it run twice, the two images would differ.
        var dockerfile = $"FROM {busybox}\nRUN cat /proc/sys/kernel/random/uuid > /once && sleep 2\n";
        using var first = server.Connect();
        using var second = server.Connect();
        var contextA = Builds.TempContext(dockerfile);
        var contextB = Builds.TempContext(dockerfile);
        var sinkA = new RecordingSink();
        var sinkB = new RecordingSink();
        var a = Builds.RunAsync(first, Builds.Start(dockerfile, "client-a"), contextA, sinkA, cancellationToken: TestContext.Current.CancellationToken);
        var b = Builds.RunAsync(second, Builds.Start(dockerfile, "client-b"), contextB, sinkB, cancellationToken: TestContext.Current.CancellationToken);
        var results = await Task.WhenAll(a, b);
        var ra = Builds.Succeeded(results[0], sinkA);
        var rb = Builds.Succeeded(results[1], sinkB);
        Assert.Equal(ra.ImageId, rb.ImageId);
        Assert.Equal(ra.ManifestDigest, rb.ManifestDigest);
    }

    [Fact]
    public async Task ADisconnectMidRun_CancelsThatBuild_KillsItsProcess_AndLeavesOthersAlone()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        var marker = 3000 + Random.Shared.Next(1000);
        var doomedFile = $"FROM {busybox}\nRUN echo started && sleep {marker}\n";
        var otherFile = $"FROM {busybox}\nRUN sleep 3 && echo other-{marker} > /other\n";
        using var doomedConnection = server.Connect();
        using var otherConnection = server.Connect();
        var sink = new RecordingSink();
        using var disconnect = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var doomed = Builds.RunAsync(doomedConnection, Builds.Start(doomedFile, "doomed"), Builds.TempContext(doomedFile), sink, cancellationToken: disconnect.Token);
        var other = Builds.RunAsync(otherConnection, Builds.Start(otherFile, "other"), Builds.TempContext(otherFile), cancellationToken: TestContext.Current.CancellationToken);

        await sink.WaitForAsync(e => e is VertexLog l && Encoding.UTF8.GetString(l.Data.Span).Contains("started")).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.True(SleepRunning(marker), "the RUN step's process should be running");
        disconnectConnection(doomedConnection, disconnect);
        Assert.IsType<Client.RemoteBuildCanceled>(await doomed);

        for (var i = 0; i < 300 && (SleepRunning(marker) || server.Server.Gate.Running > 1); i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.False(SleepRunning(marker), "the cancelled build's process is still running");
        Builds.Succeeded(await other);
        for (var i = 0; i < 100 && server.Server.Gate.Running > 0; i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Equal(0, server.Server.Gate.Running);
        var mounts = await File.ReadAllTextAsync("/proc/self/mountinfo", TestContext.Current.CancellationToken);
        Assert.DoesNotContain(server.DataRootPath, mounts);

        static void disconnectConnection(Client.BuilderConnection connection, CancellationTokenSource source)
        {
            source.Cancel();
            connection.Dispose();
        }
    }

    private static bool SleepRunning(int marker) =>
        Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Trim() == $"sleep {marker}";
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });

    [Fact]
    public async Task Entitlements_AreRefusedBeforeAnythingRuns_UnlessBothSidesAllowThem()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        var dockerfile = $"FROM {busybox}\nRUN --network=host echo host-network-ok\n";
        var context = Builds.TempContext(dockerfile);

        await using (var strict = await TestServer.StartAsync())
        {
            using var connection = strict.Connect();
            var asked = Builds.Start(dockerfile, "ent");
            asked.Allow.Add("network.host");
            var refused = await Assert.ThrowsAsync<RpcException>(() => Builds.RunAsync(connection, asked, context, cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
            Assert.Contains("builder serve --allow network.host", refused.Status.Detail);
            Assert.False(Directory.Exists(Path.Combine(strict.DataRootPath, "server", "contexts")), "nothing may run before the refusal");
        }

        await using var permissive = await TestServer.StartAsync(o => o with { Allow = new HashSet<string> { "network.host" } });
        using var allowed = permissive.Connect();
        var notAsked = await Assert.ThrowsAsync<RpcException>(() => Builds.RunAsync(allowed, Builds.Start(dockerfile, "ent"), context, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(StatusCode.PermissionDenied, notAsked.StatusCode);
        Assert.Contains("line 2", notAsked.Status.Detail);
        Assert.Contains("--allow network.host", notAsked.Status.Detail);

        var start = Builds.Start(dockerfile, "ent");
        start.Allow.Add("network.host");
        var sink = new RecordingSink();
        Builds.Succeeded(await Builds.RunAsync(allowed, start, context, sink, cancellationToken: TestContext.Current.CancellationToken), sink);
        Assert.Contains("host-network-ok", sink.Logs);
    }

    [Fact]
    public async Task Secrets_AreAskedOfTheClient_AndNeverReachTheServersDisk()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync();
        using var connection = server.Connect();
        var value = "s3cr3t-" + Guid.NewGuid().ToString("N");
        // The Dockerfile must not contain the value itself, or the scan below would find it in history.
        var dockerfile = $"FROM {busybox}\nRUN --mount=type=secret,id=token --mount=type=secret,id=expected,env=EXPECTED test \"$(cat /run/secrets/token)\" = \"$EXPECTED\" && echo secret-seen\n";
        var secrets = new DictionarySecrets(new Dictionary<string, string> { ["token"] = value, ["expected"] = value });
        var start = Builds.Start(dockerfile, "secrets");
        start.SecretIds.Add(["token", "expected"]);
        var sink = new RecordingSink();
        Builds.Succeeded(await Builds.RunAsync(connection, start, Builds.TempContext(dockerfile), sink, secrets, cancellationToken: TestContext.Current.CancellationToken), sink);
        Assert.Contains("secret-seen", sink.Logs);
        Assert.True(secrets.Asked >= 2);

        var needle = Encoding.UTF8.GetBytes(value);
        foreach (var file in Directory.EnumerateFiles(server.DataRootPath, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (new FileInfo(file).LinkTarget is not null || file == Path.Combine(server.DataRootPath, "lock"))
            {
                continue;
            }
            var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"the secret was found in {file}");
        }
    }
}

/// <summary>SIGTERM's path: no new builds, running ones cancelled after the grace, nothing left running.</summary>
public sealed class DrainTests
{
    [Fact]
    public async Task Draining_RefusesNewBuilds_AndCancelsRunningOnesAfterTheGrace()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        var server = await TestServer.StartAsync(o => o with { ShutdownGrace = TimeSpan.FromSeconds(1) });
        await using (server)
        {
            using var connection = server.Connect();
            var marker = 4000 + Random.Shared.Next(1000);
            var dockerfile = $"FROM {busybox}\nRUN echo started && sleep {marker}\n";
            var sink = new RecordingSink();
            var running = Builds.RunAsync(connection, Builds.Start(dockerfile, "drain"), Builds.TempContext(dockerfile), sink, cancellationToken: TestContext.Current.CancellationToken);
            await sink.WaitForAsync(e => e is Builder.Solver.Progress.VertexLog l && Encoding.UTF8.GetString(l.Data.Span).Contains("started"))
                .WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

            var drain = server.Server.Gate.DrainAsync(TimeSpan.FromSeconds(1));
            var refused = await Assert.ThrowsAsync<RpcException>(() =>
                Builds.RunAsync(connection, Builds.Start("FROM scratch\n", "late"), Builds.TempContext("FROM scratch\n"), cancellationToken: TestContext.Current.CancellationToken));
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.Contains("shutting down", refused.Status.Detail);

            await drain.WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
            var outcome = await running;
            Assert.IsType<Client.RemoteBuildCanceled>(outcome);
            Assert.Equal(0, server.Server.Gate.Running);
            Assert.DoesNotContain(server.DataRootPath, await File.ReadAllTextAsync("/proc/self/mountinfo", TestContext.Current.CancellationToken));
        }
    }
}
