using System.Threading.Channels;
using Builder.Build;
using Builder.Exporter.Outputs;
using BuildResult = Builder.Server.Protocol.BuildResult;
using Builder.Exporter.Store;
using Builder.Frontend;
using Builder.Frontend.Parser;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.Server.Context;
using Builder.Server.Hosting;
using Builder.Server.Protocol;
using Builder.Solver.Cache;
using Builder.Solver.Failures;
using Builder.Solver.Execution;
using Google.Protobuf;
using Grpc.Core;
using NetworkMode = Builder.Solver.Definition.NetworkMode;

namespace Builder.Server.Builds;

/// <summary>
/// The gRPC API: a build as a bidirectional stream (start, context sync, questions, progress, outputs,
/// result) over the one shared <see cref="BuildPipeline"/> solver, and the image-store calls.
/// </summary>
internal sealed class BuilderService(ServerState state) : Protocol.Builder.BuilderBase
{
    private const int ContextMessagesQueued = 16;

    public override async Task Build(IAsyncStreamReader<ClientMessage> requestStream, IServerStreamWriter<ServerMessage> responseStream, ServerCallContext context)
    {
        var callCancellation = context.CancellationToken;
        var first = await ReadAsync(requestStream, callCancellation).ConfigureAwait(false)
            ?? throw Invalid("the build stream ended before its start message");
        if (first.KindCase != ClientMessage.KindOneofCase.Start)
        {
            throw Invalid($"the first message of a build must be its start, not {first.KindCase}");
        }
        var start = first.Start;
        var (request, clientOutput) = CheckStart(start);

        DockerfileAst ast;
        try
        {
            ast = DockerfileParser.Parse(start.DockerfileText);
        }
        catch (DockerfileException e)
        {
            await responseStream.WriteAsync(new ServerMessage { Result = new BuildResult { DockerfileError = new DockerfileError { Message = e.Message, StartLine = e.StartLine, EndLine = e.EndLine } } }, callCancellation).ConfigureAwait(false);
            return;
        }
        if (Entitlements.Check(state.Options.Allow, start.Allow, request.Network.ToString().ToLowerInvariant(), ast) is { } refusal)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, refusal));
        }

        var stream = new ServerStream(responseStream, callCancellation);
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(callCancellation);
        Task? reader = null;
        try
        {
            using var admission = await state.Gate.EnterAsync(
                () => stream.Report(new Solver.Progress.BuildMessage(DateTimeOffset.UtcNow, Solver.Progress.MessageLevel.Info, $"waiting for a build slot ({state.Options.MaxConcurrentBuilds} builds are running)")),
                callCancellation).ConfigureAwait(false)
                ?? throw new RpcException(new Status(StatusCode.Unavailable, "the build server is shutting down and accepts no new builds"));
            using var buildCancellation = CancellationTokenSource.CreateLinkedTokenSource(callCancellation, admission.Cancellation.Token);
            var cancellationToken = buildCancellation.Token;

            // Bounded: a client sending faster than the copy is written waits instead of filling the server's memory.
            var contextMessages = Channel.CreateBounded<ClientMessage>(new BoundedChannelOptions(ContextMessagesQueued) { SingleReader = true, SingleWriter = true });
            using var contextEnded = new CancellationTokenSource();
            var requests = new ClientRequests(stream.SendAsync, start.SecretIds.ToHashSet(StringComparer.Ordinal), cancellationToken);
            reader = RouteAsync(requestStream, contextMessages.Writer, contextEnded.Token, requests, buildCancellation, readerStop.Token);

            var result = await RunAsync(start, ast, request, clientOutput, stream, contextMessages.Reader, contextEnded, requests, context, cancellationToken).ConfigureAwait(false);
            await stream.SendAsync(new ServerMessage { Result = result }, callCancellation).ConfigureAwait(false);
            // The client ends its side once it has the result; a read must not outlive the call.
            await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(10), callCancellation)).ConfigureAwait(false);
        }
        catch (InvalidContextException e)
        {
            throw Invalid(e.Message);
        }
        catch (Exception e) when (e is not RpcException and not OperationCanceledException)
        {
            // One clear line for the client instead of gRPC's "Exception was thrown by handler".
            throw new RpcException(new Status(StatusCode.Internal, $"the build server failed: {e.GetType().Name}: {e.Message}"));
        }
        finally
        {
            if (reader is not null)
            {
                await readerStop.CancelAsync().ConfigureAwait(false);
                await reader.ConfigureAwait(false);
            }
            await stream.CompleteAsync().ConfigureAwait(false);
            state.Contexts.SweepIfDue(DateTimeOffset.UtcNow, state.Options.ContextTtl);
        }
    }

    private async Task<Protocol.BuildResult> RunAsync(BuildStart start, DockerfileAst ast, BuildRequest request, bool clientOutput, ServerStream stream,
        ChannelReader<ClientMessage> contextMessages, CancellationTokenSource contextEnded, ClientRequests requests, ServerCallContext context, CancellationToken cancellationToken)
    {
        using var copy = await state.Contexts.AcquireAsync(ClientIdentity.Of(context), start.ContextId, cancellationToken).ConfigureAwait(false);
        var sync = new ContextSync(copy, contextMessages, stream.SendAsync, new ManifestValidator(state.Options.MaxContextSize, state.Options.MaxContextEntries));
        var arrival = await sync.StartAsync(ContextOrder.FirstReads(ast), cancellationToken).ConfigureAwait(false);

        // The build starts now; the changed files arrive meanwhile, and a step that reads the context waits
        // for the files under its sources only (the solver asks the arrival before hashing them).
        using var solveCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var receiveCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = ReceiveContextAsync(sync, stream, contextEnded, solveCancellation, receiveCancellation.Token);

        // Credentials come from the client, never from the server's own store.
        using var registry = new RegistryClient(new RegistryClientOptions { InsecureRegistries = state.Options.InsecureRegistries.ToArray(), Credentials = requests });
        var pipeline = new BuildPipeline(state.Images, new ImagePuller(state.Images, registry), registry, state.Solver);
        var stdout = stream.OpenOutput(cancellationToken);
        try
        {
            var outcome = await pipeline.RunAsync(request with { ContextDirectory = copy.TreePath, Secrets = requests, ContextAvailability = arrival }, stream, stdout, null,
                solveCancellation.Token).ConfigureAwait(false);
            // The copy is recorded (and the next build incremental) only once every file is in.
            var synced = await receiving.ConfigureAwait(false);
            var succeeded = new BuildSucceeded
            {
                BuildId = outcome.BuildId,
                ImageId = outcome.Image?.ConfigDigest ?? "",
                ManifestDigest = outcome.Image?.ManifestDigest ?? "",
                Context = synced,
            };
            succeeded.ImageNames.Add(outcome.Image?.ImageNames ?? []);
            if (outcome.Image is { } image)
            {
                foreach (var (key, value) in image.ToMetadata())
                {
                    succeeded.Metadata[key] = value;
                }
            }
            _ = clientOutput;
            return new Protocol.BuildResult { Succeeded = succeeded };
        }
        catch (DockerfileException e)
        {
            await receiving.ConfigureAwait(false);
            return new Protocol.BuildResult { DockerfileError = new DockerfileError { Message = e.Message, StartLine = e.StartLine, EndLine = e.EndLine } };
        }
        catch (StepFailedException e)
        {
            await receiving.ConfigureAwait(false);
            return new Protocol.BuildResult { StepFailed = new StepFailed { StepName = e.VertexName ?? "", Failure = ProgressMapping.ToWire(e.Failure) } };
        }
        catch (Exception) when (solveCancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The transfer broke (a bad chunk, a client that stopped sending): that, not the build's
            // cancellation it caused, is the error.
            await receiving.ConfigureAwait(false);
            throw;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new Protocol.BuildResult { Canceled = new Canceled() };
        }
        finally
        {
            // Whatever way the build ended, nothing is received after it (the success and failure paths
            // above have waited for every file already).
            await receiveCancellation.CancelAsync().ConfigureAwait(false);
            try
            {
                await receiving.ConfigureAwait(false);
            }
            catch (Exception) when (receiving.IsFaulted || receiving.IsCanceled)
            {
                // Reported above, or the build is cancelled anyway.
            }
        }
    }

    /// <summary>Receives the context's files while the build runs; reports the transfer, and cancels the build if it breaks.</summary>
    private async Task<ContextSyncDone> ReceiveContextAsync(ContextSync sync, ServerStream stream, CancellationTokenSource contextEnded, CancellationTokenSource build,
        CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            var synced = await sync.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref state.ContextBytesReceived, synced.BytesReceived);
            await stream.SendAsync(new ServerMessage { ContextDone = synced }, cancellationToken).ConfigureAwait(false);
            return synced;
        }
        catch
        {
            await build.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            await contextEnded.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads the client's messages: context ones to the sync, answers to whoever asked, a Cancel or a broken stream cancels the build.</summary>
    private static async Task RouteAsync(IAsyncStreamReader<ClientMessage> requestStream, ChannelWriter<ClientMessage> contextMessages, CancellationToken contextEnded,
        ClientRequests requests, CancellationTokenSource build, CancellationToken stop)
    {
        try
        {
            while (await ReadAsync(requestStream, stop).ConfigureAwait(false) is { } message)
            {
                switch (message.KindCase)
                {
                    case ClientMessage.KindOneofCase.Manifest or ClientMessage.KindOneofCase.File:
                        try
                        {
                            using var either = CancellationTokenSource.CreateLinkedTokenSource(contextEnded, stop);
                            await contextMessages.WriteAsync(message, either.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (contextEnded.IsCancellationRequested && !stop.IsCancellationRequested)
                        {
                            // Nobody reads the context any more (the transfer ended or broke): drop the rest.
                        }
                        break;
                    case ClientMessage.KindOneofCase.Secret:
                        requests.Answer(message.Secret.RequestId, message);
                        break;
                    case ClientMessage.KindOneofCase.Credential:
                        requests.Answer(message.Credential.RequestId, message);
                        break;
                    case ClientMessage.KindOneofCase.Cancel:
                        await build.CancelAsync().ConfigureAwait(false);
                        break;
                    default:
                        throw Invalid($"unexpected {message.KindCase} message during a build");
                }
            }
            contextMessages.TryComplete();
        }
        catch (Exception e)
        {
            contextMessages.TryComplete(e is RpcException { StatusCode: StatusCode.InvalidArgument } r ? new InvalidContextException(r.Status.Detail) : null);
            requests.Abort(e);
            if (e is not RpcException { StatusCode: StatusCode.InvalidArgument } && !stop.IsCancellationRequested)
            {
                try
                {
                    await build.CancelAsync().ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                }
            }
        }
    }

    /// <summary>The next client message, null at the end; an oversized or undecodable one is InvalidArgument.</summary>
    private static async Task<ClientMessage?> ReadAsync(IAsyncStreamReader<ClientMessage> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNext(cancellationToken).ConfigureAwait(false) ? stream.Current : null;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
        {
            throw Invalid($"a message was larger than the server's limit ({e.Status.Detail})");
        }
        catch (Exception e) when (Undecodable(e) is { } inner)
        {
            throw Invalid($"a message could not be decoded: {inner.Message}");
        }
    }

    private static InvalidProtocolBufferException? Undecodable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is InvalidProtocolBufferException decode)
            {
                return decode;
            }
        }
        return null;
    }

    /// <summary>Turns a start message into a build request, refusing bad options with InvalidArgument; true when an output comes back to the client.</summary>
    private (BuildRequest Request, bool ClientOutput) CheckStart(BuildStart start)
    {
        if (start.DockerfileText.Length == 0)
        {
            throw Invalid("the build has no Dockerfile text");
        }
        if (start.ContextId.Length is 0 or > 256)
        {
            throw Invalid("context_id must be 1 to 256 characters");
        }
        var network = start.Network switch
        {
            "" or "default" => NetworkMode.Default,
            "none" => NetworkMode.None,
            "host" => NetworkMode.Host,
            var other => throw Invalid($"--network {other}: expected default, none or host"),
        };
        var outputs = new List<OutputSpec>();
        var toClient = 0;
        foreach (var text in start.Outputs)
        {
            OutputSpec spec;
            try
            {
                spec = OutputSpec.Parse(text);
            }
            catch (FormatException e)
            {
                throw Invalid($"--output {text}: {e.Message}");
            }
            if (spec.Type is OutputType.Docker or OutputType.Oci or OutputType.Tar or OutputType.Local)
            {
                if (++toClient > 1)
                {
                    throw Invalid("a remote build can stream one docker, oci, tar or local output back to the client; write the others to the server's store or a registry");
                }
                // Written on the client: a directory output travels as a tar the client unpacks.
                spec = spec.Type switch
                {
                    OutputType.Local => spec with { Type = OutputType.Tar, Dest = "-" },
                    OutputType.Oci => spec with { Tar = true, Dest = "-" },
                    _ => spec with { Dest = "-" },
                };
            }
            outputs.Add(spec);
        }
        foreach (var (name, value) in start.NamedContexts)
        {
            if (!value.StartsWith("docker-image://", StringComparison.Ordinal))
            {
                throw Invalid($"--build-context {name}={value}: a remote build takes docker-image:// contexts only");
            }
        }
        var request = new BuildRequest
        {
            DockerfileText = start.DockerfileText,
            DockerfileName = start.DockerfileName.Length > 0 ? start.DockerfileName : "Dockerfile",
            ContextDirectory = "/nonexistent", // replaced by the synced copy
            NamedContexts = new Dictionary<string, string>(start.NamedContexts, StringComparer.Ordinal),
            Tags = start.Tags.ToArray(),
            BuildArgs = new Dictionary<string, string>(start.BuildArgs, StringComparer.Ordinal),
            Labels = new Dictionary<string, string>(start.Labels, StringComparer.Ordinal),
            Target = start.Target.Length > 0 ? start.Target : null,
            NoCache = start.NoCache,
            NoCacheFilter = start.NoCacheFilter.ToHashSet(StringComparer.Ordinal),
            Pull = start.Pull,
            Outputs = outputs,
            Network = network,
            Allow = start.Allow.ToHashSet(StringComparer.Ordinal),
            SourceDateEpoch = start.HasSourceDateEpoch ? start.SourceDateEpoch : null,
            KeepFailedState = start.KeepFailedState,
        };
        return (request, toClient > 0);
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public override Task<ImagesResponse> Images(ImagesRequest request, ServerCallContext context)
    {
        var response = new ImagesResponse();
        response.Images.Add(state.Images.List().Select(Summary));
        return Task.FromResult(response);
    }

    public override Task<InspectResponse> Inspect(InspectRequest request, ServerCallContext context)
    {
        var stored = Find(request.Image);
        return Task.FromResult(new InspectResponse
        {
            Image = Summary(stored),
            Manifest = ByteString.CopyFrom(state.Images.ReadBlob(stored.Manifest.Digest)),
            Config = ByteString.CopyFrom(state.Images.ReadBlob(stored.ConfigDigest)),
        });
    }

    public override Task<PruneResponse> Prune(PruneRequest request, ServerCallContext context)
    {
        if (state.Gate.Running > 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"{state.Gate.Running} builds are running on the server; prune when it is idle"));
        }
        var failures = new FailedSteps(state.Root);
        int failedRemoved;
        if (request.All)
        {
            var kept = failures.List();
            foreach (var record in kept)
            {
                failures.Remove(record);
            }
            failedRemoved = kept.Count;
        }
        else
        {
            failedRemoved = failures.RemoveExpired(DateTimeOffset.UtcNow);
        }
        var cacheRemoved = request.All ? new CacheRecords(state.Root).DropAll() : 0;
        var contexts = state.Contexts.Sweep(DateTimeOffset.UtcNow, state.Options.ContextTtl, request.All);
        var collected = state.Root.Gc.Collect();
        return Task.FromResult(new PruneResponse
        {
            ReclaimedBytes = collected.BytesFreed + contexts.Bytes,
            Summary = $"removed {failedRemoved} failed step state(s), {cacheRemoved} cache record(s), {collected.SnapshotsRemoved} snapshot(s), {collected.BlobsRemoved} blob(s), " +
                $"{contexts.Copies} context cop{(contexts.Copies == 1 ? "y" : "ies")}",
            ContextCopiesRemoved = contexts.Copies,
        });
    }

    public override async Task<PushResponse> Push(PushRequest request, ServerCallContext context)
    {
        var stored = Find(request.Image);
        ImageReference destination;
        try
        {
            destination = ImageReference.Parse(request.Destination.Length > 0 ? request.Destination : request.Image);
        }
        catch (FormatException e)
        {
            throw Invalid($"{request.Destination}: {e.Message}");
        }
        ICredentialProvider credentials = request.Username.Length > 0
            ? new SingleHostCredentials(destination.Registry, new RegistryCredentials(request.Username, request.Password))
            : AnonymousCredentials.Instance;
        using var registry = new RegistryClient(new RegistryClientOptions { InsecureRegistries = state.Options.InsecureRegistries.ToArray(), Credentials = credentials });
        try
        {
            var pushed = await new ImagePusher(state.Images, registry).PushAsync(stored, destination, cancellationToken: context.CancellationToken).ConfigureAwait(false);
            return new PushResponse { Reference = destination.ToFamiliarString(), Digest = pushed.Digest.ToString(), Size = pushed.Size };
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or IOException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"push {destination.ToFamiliarString()}: {e.Message}"));
        }
    }

    private StoredImage Find(string text)
    {
        try
        {
            return state.Images.Require(text);
        }
        catch (ImageNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.NotFound, e.Message));
        }
        catch (ImageStoreConflictException e)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message));
        }
    }

    private static ImageSummary Summary(StoredImage image)
    {
        var summary = new ImageSummary
        {
            ManifestDigest = image.Manifest.Digest.ToString(),
            ConfigDigest = image.ConfigDigest.ToString(),
            Size = image.Size,
            CreatedUnixTicks = image.Created.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks,
            MediaType = image.Manifest.MediaType,
            ManifestSize = image.Manifest.Size,
        };
        summary.Names.Add(image.Names);
        return summary;
    }

    /// <summary>The client's credentials for its push destination, and nothing for any other host.</summary>
    private sealed class SingleHostCredentials(string host, RegistryCredentials credentials) : ICredentialProvider
    {
        public RegistryCredentials? GetCredentials(string asked) => string.Equals(asked, host, StringComparison.OrdinalIgnoreCase) ? credentials : null;
    }
}
