using System.Collections.Concurrent;
using Builder.Engine;
using Builder.Server.Client;
using Builder.Server.Hosting;
using Builder.Server.Protocol;
using Builder.Snapshotter;
using Builder.Solver;
using Builder.Solver.Progress;
using ProgressEvent = Builder.Solver.Progress.ProgressEvent;
using VertexLog = Builder.Solver.Progress.VertexLog;

namespace Builder.Server.Tests;

/// <summary>A real <see cref="BuilderServer"/> (Kestrel, our services, the engine) over a fresh data root in a temp folder.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly DataRoot _root;

    private TestServer(string directory, DataRoot root, BuilderServer server, ServerOptions options)
    {
        Directory = directory;
        _root = root;
        Server = server;
        Options = options;
    }

    public string Directory { get; }

    public string DataRootPath => _root.Path;

    public BuilderServer Server { get; }

    public ServerOptions Options { get; }

    public string SocketPath => Path.Combine(Directory, "builder.sock");

    /// <summary>Starts a server on a unix socket in its folder (and on whatever else <paramref name="configure"/> adds).</summary>
    /// <param name="directory">The folder (and data root) of an earlier server to restart on; null for a fresh one.</param>
    public static async Task<TestServer> StartAsync(Func<ServerOptions, ServerOptions>? configure = null, string? directory = null)
    {
        directory ??= System.IO.Directory.CreateTempSubdirectory("builder-server-test-").FullName;
        var options = new ServerOptions { Addresses = [ServerAddress.Parse("unix://" + Path.Combine(directory, "builder.sock"))] };
        options = configure?.Invoke(options) ?? options;
        var root = DataRoot.Open(Path.Combine(directory, "root"));
        try
        {
            var server = BuilderServer.Create(options, root, Executors.Create());
            await server.StartAsync(CancellationToken.None);
            return new TestServer(directory, root, server, options);
        }
        catch
        {
            root.Dispose();
            throw;
        }
    }

    public BuilderConnection Connect(ClientTls? tls = null, ServerAddress? address = null) =>
        BuilderConnection.Open(address ?? ServerAddress.Parse("unix://" + SocketPath), tls);

    /// <summary>Leave the folder at disposal, for a restart on it.</summary>
    public bool KeepDirectory { get; set; }

    public async ValueTask DisposeAsync()
    {
        await Server.DrainAsync();
        await Server.DisposeAsync();
        _root.Dispose();
        if (KeepDirectory)
        {
            return;
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A mount left behind would be a bug the tests report elsewhere; never fail disposal on it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Keeps every progress event a build reported, and lets a test wait for one.</summary>
internal sealed class RecordingSink : IProgressSink
{
    private readonly ConcurrentQueue<ProgressEvent> _events = new();
    private readonly List<(Func<ProgressEvent, bool> Match, TaskCompletionSource Seen)> _waiters = [];

    public IReadOnlyCollection<ProgressEvent> Events => _events;

    public void Report(ProgressEvent progress)
    {
        _events.Enqueue(progress);
        lock (_waiters)
        {
            foreach (var (match, seen) in _waiters.Where(w => w.Match(progress)))
            {
                seen.TrySetResult();
            }
        }
    }

    public Task WaitForAsync(Func<ProgressEvent, bool> match)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, seen));
            if (_events.Any(match))
            {
                seen.TrySetResult();
            }
        }
        return seen.Task;
    }

    public string Logs => string.Concat(_events.OfType<VertexLog>().Select(l => System.Text.Encoding.UTF8.GetString(l.Data.Span)));
}

/// <summary>Secrets from a dictionary, counting the questions.</summary>
internal sealed class DictionarySecrets(IReadOnlyDictionary<string, string> values) : ISecretSource
{
    public int Asked;

    public ValueTask<byte[]?> GetAsync(string id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Asked);
        return ValueTask.FromResult(values.TryGetValue(id, out var value) ? System.Text.Encoding.UTF8.GetBytes(value) : null);
    }
}

/// <summary>Building blocks for the tests' builds.</summary>
internal static class Builds
{
    public static BuildStart Start(string dockerfile, string contextId, params string[] outputs)
    {
        var start = new BuildStart { DockerfileText = dockerfile, DockerfileName = "Dockerfile", ContextId = contextId, KeepFailedState = true };
        start.Outputs.Add(outputs);
        return start;
    }

    public static Task<RemoteBuildOutcome> RunAsync(BuilderConnection connection, BuildStart start, string context, RecordingSink? sink = null,
        ISecretSource? secrets = null, Stream? output = null, CancellationToken cancellationToken = default) =>
        RemoteBuild.RunAsync(connection.Client, start, context, [], new RemoteBuildHandlers { Progress = sink ?? new RecordingSink(), Secrets = secrets, Output = output }, cancellationToken);

    public static RemoteBuildSucceeded Succeeded(RemoteBuildOutcome outcome, RecordingSink? sink = null) => outcome switch
    {
        RemoteBuildSucceeded s => s,
        RemoteStepFailed f => throw new Xunit.Sdk.XunitException($"step {f.StepName} failed: {f.Failure.Message}\n{string.Join('\n', f.Failure.LastLines)}\n{sink?.Logs}"),
        RemoteDockerfileError d => throw new Xunit.Sdk.XunitException($"Dockerfile error line {d.StartLine}: {d.Message}"),
        _ => throw new Xunit.Sdk.XunitException("the build was cancelled"),
    };

    public static string TempContext(string dockerfile)
    {
        var directory = Directory.CreateTempSubdirectory("builder-server-ctx-").FullName;
        File.WriteAllText(Path.Combine(directory, "Dockerfile"), dockerfile);
        return directory;
    }
}
