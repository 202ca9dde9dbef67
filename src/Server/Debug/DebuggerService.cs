using System.Diagnostics;
using System.IO.Pipelines;
using Builder.Build.Debug;
using Builder.Engine;
using Builder.Exporter.Archives;
using Builder.Exporter.Outputs;
using Builder.Server.Hosting;
using Builder.Server.Protocol;
using Builder.Server.Protocol.Debugging;
using Builder.Solver;
using Google.Protobuf;
using Grpc.Core;

namespace Builder.Server.Debug;

/// <summary>
/// <c>builder debug</c> and <c>builder history</c> on the server's store: listings and diffs as unary calls,
/// exports as a stream of tar chunks, and shells and re-runs as a bidirectional stream (stdin, window size
/// and signals in; output and the exit out). Containers and views take a build slot, so a drain waits for
/// (then cancels) them and prune never removes a state under them.
/// </summary>
internal sealed class DebuggerService(ServerState state) : Protocol.Debugging.Debugger.DebuggerBase
{
    private const int Sigint = 2;
    private const int Sigquit = 3;
    private static readonly Lazy<IExecutor> Executor = new(() => Executors.Create());

    public override Task<ListFailuresResponse> ListFailures(ListFailuresRequest request, ServerCallContext context)
    {
        var response = new ListFailuresResponse();
        response.Failures.Add(DebugListings.Failures(state.Root, request.WithSizes).Select(DebugWire.ToWire));
        return Task.FromResult(response);
    }

    public override Task<ListBuildsResponse> ListBuilds(ListBuildsRequest request, ServerCallContext context)
    {
        var response = new ListBuildsResponse();
        response.Builds.Add(DebugListings.Builds(state.Root).Select(DebugWire.ToWire));
        return Task.FromResult(response);
    }

    public override Task<HistoryResponse> History(HistoryRequest request, ServerCallContext context) =>
        Task.FromResult(DebugWire.ToWire(Targeted(() => DebugListings.History(state.Root, request.Build.Length == 0 ? null : request.Build))));

    public override async Task<DiffResponse> Diff(DiffRequest request, ServerCallContext context)
    {
        var target = Resolve(request.Target);
        using var admission = await AdmitAsync(context).ConfigureAwait(false);
        var response = new DiffResponse();
        foreach (var (change, path) in StateDiff.Compare(state.Root, target.Before, target.After))
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            response.Changes.Add(DebugWire.ToWire(change, path));
        }
        return response;
    }

    public override async Task Export(ExportRequest request, IServerStreamWriter<ExportChunk> responseStream, ServerCallContext context)
    {
        var target = Resolve(request.Target);
        using var admission = await AdmitAsync(context).ConfigureAwait(false);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, admission.Cancellation.Token);
        try
        {
            await responseStream.WriteAsync(new ExportChunk { Label = target.Label }, cancellation.Token).ConfigureAwait(false);
            var chunks = new ExportChunkStream(responseStream, cancellation.Token);
            await new RootfsExporter(state.Root).WriteTarAsync(request.Before ? target.Before : target.After, OutputTarget.ToStream(chunks), null, cancellation.Token).ConfigureAwait(false);
            await chunks.FlushAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            // The interceptor covers unary and duplex calls only; one clear status here too.
            throw new RpcException(new Status(StatusCode.Internal, $"the build server failed to export {target.Label}: {e.GetType().Name}: {e.Message}"));
        }
    }

    public override async Task Session(IAsyncStreamReader<SessionInput> requestStream, IServerStreamWriter<SessionOutput> responseStream, ServerCallContext context)
    {
        var callCancellation = context.CancellationToken;
        var first = await requestStream.MoveNext(callCancellation).ConfigureAwait(false) ? requestStream.Current : null;
        if (first?.KindCase != SessionInput.KindOneofCase.Start)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message of a debug session must be its start"));
        }
        var request = SessionRequest.Check(first.Start, state.Options.Allow);
        var start = request.Start;
        var rerun = start.Kind == SessionKind.Rerun;
        var target = Resolve(start.Target);
        var network = request.Network ?? target.RecordedNetwork;
        if (network == NetworkMode.Host && !state.Options.Allow.Contains("network.host"))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"{target.Label} ran with --network host, which needs entitlement network.host; this server does not allow it (its operator must start it with `builder serve --allow network.host`), so re-run it with --network none or default"));
        }

        using var admission = await AdmitAsync(context).ConfigureAwait(false);
        using var sessionCancellation = CancellationTokenSource.CreateLinkedTokenSource(callCancellation, admission.Cancellation.Token);
        using var kill = CancellationTokenSource.CreateLinkedTokenSource(sessionCancellation.Token);
        using var container = rerun
            ? Targeted(() => DebugContainer.ForRerun(state.Images, target, network))
            : await DebugContainer.ForShellAsync(state.Images, target, new DebugShellOptions
            {
                Before = start.Before,
                Command = request.Command,
                Network = network,
                Privileged = request.Privileged,
                Commit = request.Commit,
                SecretIds = request.Secrets.Keys.ToArray(),
                Secrets = new GivenSecrets(request.Secrets),
            }, sessionCancellation.Token).ConfigureAwait(false);

        var output = new ResponseQueue<SessionOutput>(responseStream, callCancellation);
        var stdin = start.Stdin && !rerun ? new Pipe() : null;
        var io = new ContainerIo
        {
            Stdin = stdin?.Reader.AsStream(),
            Stdout = OutputStream(output, stderr: false, callCancellation),
            Stderr = request.Terminal is null ? OutputStream(output, stderr: true, callCancellation) : null,
            Terminal = request.Terminal,
        };
        int? killedBy = null;
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(sessionCancellation.Token);
        var stdinOpen = stdin is not null;
        var reader = ReadInputAsync(requestStream, stdin?.Writer, () => stdinOpen = false, io, async signal =>
        {
            // On a terminal, Ctrl-C and Ctrl-\ go through its line discipline to the foreground process group, as typed;
            // without one (or after the client's stdin ended) the only way to stop the command is to stop the container.
            if (request.Terminal is not null && stdinOpen && signal is Sigint or Sigquit)
            {
                await stdin!.Writer.WriteAsync(new[] { (byte)(signal == Sigint ? 0x03 : 0x1c) }, readerStop.Token).ConfigureAwait(false);
                return;
            }
            killedBy ??= signal;
            await kill.CancelAsync().ConfigureAwait(false);
        }, readerStop.Token);
        try
        {
            await output.SendAsync(new SessionOutput { Started = Started(target) }, sessionCancellation.Token).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            ContainerExit exit;
            try
            {
                exit = await Executor.Value.RunAsync(container.Spec, io, kill.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (killedBy is { } signal && !sessionCancellation.IsCancellationRequested)
            {
                exit = new ContainerExit(128 + signal, signal);
            }
            clock.Stop();
            var result = new SessionExit
            {
                ExitCode = exit.ExitCode,
                HasSignal = exit.Signal is not null,
                Signal = exit.Signal ?? 0,
                StartFailure = exit.Failure?.Message ?? "",
                DurationTicks = clock.Elapsed.Ticks,
            };
            if (exit.Failure is null && request.Commit is { } name)
            {
                var image = container.Commit(name);
                result.CommittedName = name.ToString();
                result.CommittedId = image.ConfigDigest.ToString();
            }
            await output.SendAsync(new SessionOutput { Exit = result }, sessionCancellation.Token).ConfigureAwait(false);
        }
        finally
        {
            await readerStop.CancelAsync().ConfigureAwait(false);
            await reader.ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stdin to the container, window sizes to its terminal, signals to <paramref name="signal"/>; ends at the client's end or <paramref name="stop"/>.</summary>
    private static async Task ReadInputAsync(IAsyncStreamReader<SessionInput> requestStream, PipeWriter? stdin, Action stdinEnded, ContainerIo io, Func<int, Task> signal, CancellationToken stop)
    {
        try
        {
            while (await requestStream.MoveNext(stop).ConfigureAwait(false))
            {
                var message = requestStream.Current;
                switch (message.KindCase)
                {
                    case SessionInput.KindOneofCase.Stdin when stdin is not null:
                        if (!message.Stdin.Data.IsEmpty)
                        {
                            await stdin.WriteAsync(message.Stdin.Data.Memory, stop).ConfigureAwait(false);
                        }
                        if (message.Stdin.Eof)
                        {
                            stdinEnded();
                            await stdin.CompleteAsync().ConfigureAwait(false);
                            stdin = null;
                        }
                        break;
                    case SessionInput.KindOneofCase.Resize when message.Resize.Columns is > 0 and <= ushort.MaxValue && message.Resize.Rows is > 0 and <= ushort.MaxValue:
                        io.Resize(new TerminalSize((ushort)message.Resize.Columns, (ushort)message.Resize.Rows));
                        break;
                    case SessionInput.KindOneofCase.Signal when message.Signal.Signal is > 0 and < 65:
                        await signal(message.Signal.Signal).ConfigureAwait(false);
                        break;
                    default:
                        break; // stdin after its end, or without one asked for: nothing reads it
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or RpcException or InvalidOperationException)
        {
            // The session ended, or the client went away (the call's cancellation stops the container).
        }
        finally
        {
            if (stdin is not null)
            {
                await stdin.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The container's stdout or stderr as session messages of up to 256 KiB.</summary>
    private static MessageWriteStream OutputStream(ResponseQueue<SessionOutput> output, bool stderr, CancellationToken cancellationToken) => new(
        (piece, token) =>
        {
            var data = ByteString.CopyFrom(piece.Span);
            return output.SendAsync(stderr ? new SessionOutput { Stderr = data } : new SessionOutput { Stdout = data }, token);
        },
        256 << 10, cancellationToken);

    private static SessionStarted Started(DebugTarget target)
    {
        var started = new SessionStarted { Label = target.Label };
        if (target.Failure is { } failure)
        {
            started.StepName = failure.Name;
            started.SourceFile = failure.SourceFile ?? "";
            started.StartLine = failure.StartLine;
            started.HasExitCode = failure.ExitCode is not null;
            started.ExitCode = failure.ExitCode ?? 0;
            started.HasSignal = failure.Signal is not null;
            started.Signal = failure.Signal ?? 0;
        }
        return started;
    }

    private async Task<Builds.BuildGate.Admission> AdmitAsync(ServerCallContext context) =>
        await state.Gate.EnterAsync(null, context.CancellationToken).ConfigureAwait(false)
        ?? throw new RpcException(new Status(StatusCode.Unavailable, "the build server is shutting down and starts no new debug containers"));

    private DebugTarget Resolve(Target? target) => Targeted(() =>
    {
        if (target is null || (target.Id.Length == 0 && !target.HasStep))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "give the id of a kept failed step (see builder debug ls), or --step N [BUILD]"));
        }
        return DebugTarget.Resolve(state.Root, target.Id.Length == 0 ? null : target.Id, target.HasStep ? target.Step : null);
    });

    /// <summary>A target that cannot be found or entered is NotFound, with the message the local command prints.</summary>
    private static T Targeted<T>(Func<T> resolve)
    {
        try
        {
            return resolve();
        }
        catch (DebugTargetException e)
        {
            throw new RpcException(new Status(StatusCode.NotFound, e.Message));
        }
    }

    /// <summary>The secrets the client gave again for this session, held in memory for its length only.</summary>
    private sealed class GivenSecrets(IReadOnlyDictionary<string, byte[]> values) : ISecretSource
    {
        public ValueTask<byte[]?> GetAsync(string id, CancellationToken cancellationToken) =>
            ValueTask.FromResult(values.TryGetValue(id, out var value) ? value : null);
    }
}
