using Builder.Oci.Registry.Auth;
using Builder.Server.Protocol;
using Builder.Snapshotter.Context;
using Builder.Solver;
using Builder.Solver.Progress;
using Google.Protobuf;
using Grpc.Core;
using WireEntry = Builder.Server.Protocol.ContextEntry;
using WireStepFailure = Builder.Server.Protocol.StepFailure;

namespace Builder.Server.Client;

/// <summary>What the client side of a remote build needs: where progress goes, who answers the server's questions, where a streamed output is written.</summary>
public sealed record RemoteBuildHandlers
{
    public required IProgressSink Progress { get; init; }

    /// <summary>Answers secret requests; null answers "not found".</summary>
    public ISecretSource? Secrets { get; init; }

    /// <summary>Answers registry credential requests (the client's own store); null answers "anonymous".</summary>
    public ICredentialProvider? Credentials { get; init; }

    /// <summary>Receives the bytes of the one output streamed back (docker/oci/tar/local); null when none was asked for.</summary>
    public Stream? Output { get; init; }
}

/// <summary>How a remote build ended.</summary>
public abstract record RemoteBuildOutcome
{
    /// <summary>Context transfer statistics (files and bytes the server asked for).</summary>
    public ContextSyncDone? Context { get; init; }
}

public sealed record RemoteBuildSucceeded(string BuildId, string? ImageId, string? ManifestDigest, IReadOnlyList<string> ImageNames, IReadOnlyDictionary<string, string> Metadata) : RemoteBuildOutcome;

public sealed record RemoteStepFailed(string? StepName, Solver.Progress.StepFailure Failure) : RemoteBuildOutcome;

public sealed record RemoteDockerfileError(string Message, int StartLine, int EndLine) : RemoteBuildOutcome;

public sealed record RemoteBuildCanceled : RemoteBuildOutcome;

/// <summary>
/// The client side of a build: sends the start, walks the context (with the .dockerignore patterns
/// applied here) and sends its metadata, sends the files the server asks for in chunks, answers secret
/// and credential requests, writes streamed output, and returns the result.
/// </summary>
public static class RemoteBuild
{
    private const int EntriesPerBatch = 1000;
    private const int ChunkSize = 256 << 10;

    /// <summary>Runs one build; RPC failures (refusals, an unreachable server) surface as <see cref="RpcException"/>.</summary>
    public static async Task<RemoteBuildOutcome> RunAsync(Protocol.Builder.BuilderClient client, BuildStart start, string contextDirectory, IReadOnlyList<string> excludes,
        RemoteBuildHandlers handlers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(handlers);
        // A file that cannot be sent ends the call (the server would wait for it forever).
        using var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = client.Build(cancellationToken: callCancellation.Token);
        // Files go out from their own task, so progress is read and secret and credential questions are
        // answered while a large file is still on its way; the lock keeps each message whole.
        var requests = new SerializedWriter(call.RequestStream);
        using var sending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fileRequests = System.Threading.Channels.Channel.CreateUnbounded<FileRequest>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Task? sender = null;
        try
        {
            await requests.WriteAsync(new ClientMessage { Start = start }, cancellationToken).ConfigureAwait(false);
            var entries = await SendManifestAsync(requests, contextDirectory, excludes, cancellationToken).ConfigureAwait(false);
            sender = SendFilesAsync(requests, entries, fileRequests.Reader, callCancellation, sending.Token);
            ContextSyncDone? synced = null;
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (message.KindCase)
                {
                    case ServerMessage.KindOneofCase.Progress:
                        if (ProgressMapping.FromWire(message.Progress) is { } progress)
                        {
                            handlers.Progress.Report(progress);
                        }
                        break;
                    case ServerMessage.KindOneofCase.Files:
                        if (sender.IsFaulted)
                        {
                            await sender.ConfigureAwait(false);
                        }
                        fileRequests.Writer.TryWrite(message.Files);
                        break;
                    case ServerMessage.KindOneofCase.ContextDone:
                        synced = message.ContextDone;
                        break;
                    case ServerMessage.KindOneofCase.Secret:
                        var value = handlers.Secrets is { } secrets ? await secrets.GetAsync(message.Secret.Id, cancellationToken).ConfigureAwait(false) : null;
                        await requests.WriteAsync(new ClientMessage
                        {
                            Secret = new SecretAnswer { RequestId = message.Secret.RequestId, Found = value is not null, Value = value is null ? ByteString.Empty : ByteString.CopyFrom(value) },
                        }, cancellationToken).ConfigureAwait(false);
                        break;
                    case ServerMessage.KindOneofCase.Credential:
                        var credentials = handlers.Credentials?.GetCredentials(message.Credential.Host);
                        await requests.WriteAsync(new ClientMessage
                        {
                            Credential = new CredentialAnswer
                            {
                                RequestId = message.Credential.RequestId,
                                Found = credentials is not null,
                                Username = credentials?.Username ?? "",
                                Password = credentials?.Password ?? "",
                            },
                        }, cancellationToken).ConfigureAwait(false);
                        break;
                    case ServerMessage.KindOneofCase.Output:
                        if (handlers.Output is null)
                        {
                            throw new InvalidOperationException("the server sent output data, but no output was asked for");
                        }
                        await handlers.Output.WriteAsync(message.Output.Data.Memory, cancellationToken).ConfigureAwait(false);
                        break;
                    case ServerMessage.KindOneofCase.Result:
                        fileRequests.Writer.TryComplete();
                        await sending.CancelAsync().ConfigureAwait(false);
                        await StopAsync(sender).ConfigureAwait(false);
                        await requests.CompleteAsync().ConfigureAwait(false);
                        return ToOutcome(message.Result) with { Context = synced ?? (message.Result.Succeeded?.Context) };
                }
            }
            throw new RpcException(new Status(StatusCode.Unavailable, "the server ended the build without a result"));
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            return new RemoteBuildCanceled();
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && sender is { IsFaulted: true })
        {
            // The server ended the call because this side stopped sending a file: the local error says why.
            await sender.ConfigureAwait(false);
            throw;
        }
        finally
        {
            fileRequests.Writer.TryComplete();
            await sending.CancelAsync().ConfigureAwait(false);
            if (sender is not null)
            {
                await StopAsync(sender).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits for the file sender after it was told to stop; its cancellation or a write on an ended call is no error then.</summary>
    private static async Task StopAsync(Task sender)
    {
        try
        {
            await sender.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException)
        {
        }
    }

    /// <summary>Sends the files of each request in the order asked, one after another.</summary>
    private static async Task SendFilesAsync(SerializedWriter requests, List<Builder.Snapshotter.Context.ContextEntry> entries,
        System.Threading.Channels.ChannelReader<FileRequest> fileRequests, CancellationTokenSource call, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var request in fileRequests.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var index in request.Indexes)
                {
                    await SendFileAsync(requests, entries, index, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            await call.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static RemoteBuildOutcome ToOutcome(BuildResult result) => result.OutcomeCase switch
    {
        BuildResult.OutcomeOneofCase.Succeeded => new RemoteBuildSucceeded(
            result.Succeeded.BuildId,
            result.Succeeded.ImageId.Length > 0 ? result.Succeeded.ImageId : null,
            result.Succeeded.ManifestDigest.Length > 0 ? result.Succeeded.ManifestDigest : null,
            result.Succeeded.ImageNames.ToArray(),
            new SortedDictionary<string, string>(result.Succeeded.Metadata, StringComparer.Ordinal)),
        BuildResult.OutcomeOneofCase.StepFailed => new RemoteStepFailed(
            result.StepFailed.StepName.Length > 0 ? result.StepFailed.StepName : null,
            ProgressMapping.FromWire(result.StepFailed.Failure ?? new WireStepFailure { Message = "the step failed" })),
        BuildResult.OutcomeOneofCase.DockerfileError => new RemoteDockerfileError(result.DockerfileError.Message, result.DockerfileError.StartLine, result.DockerfileError.EndLine),
        _ => new RemoteBuildCanceled(),
    };

    /// <summary>Walks the context and sends its metadata in batches; returns the entries (with host paths) in the order sent.</summary>
    private static async Task<List<Builder.Snapshotter.Context.ContextEntry>> SendManifestAsync(SerializedWriter requests, string contextDirectory,
        IReadOnlyList<string> excludes, CancellationToken cancellationToken)
    {
        var walker = new ContextWalker(contextDirectory, excludes.Count > 0 ? new PatternMatcher(excludes) : null);
        var entries = new List<Builder.Snapshotter.Context.ContextEntry>();
        var batch = new ContextManifest();
        foreach (var entry in walker.Walk(cancellationToken))
        {
            if (entry.Type is not (FileType.RegularFile or FileType.Directory or FileType.SymbolicLink))
            {
                continue; // sockets, pipes and devices are not part of a build context
            }
            entries.Add(entry);
            batch.Entries.Add(ToWire(entry));
            if (batch.Entries.Count == EntriesPerBatch)
            {
                await requests.WriteAsync(new ClientMessage { Manifest = batch }, cancellationToken).ConfigureAwait(false);
                batch = new ContextManifest();
            }
        }
        batch.Done = true;
        await requests.WriteAsync(new ClientMessage { Manifest = batch }, cancellationToken).ConfigureAwait(false);
        return entries;
    }

    private static WireEntry ToWire(Builder.Snapshotter.Context.ContextEntry entry)
    {
        var status = entry.Status;
        return new WireEntry
        {
            Path = entry.RelativePath,
            Type = entry.Type switch
            {
                FileType.Directory => EntryType.Directory,
                FileType.SymbolicLink => EntryType.Symlink,
                _ => EntryType.File,
            },
            Mode = (uint)status.Mode,
            Uid = status.Uid,
            Gid = status.Gid,
            Size = entry.Type == FileType.RegularFile ? status.Size : 0,
            MtimeNs = (status.ModificationTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100,
            LinkTarget = entry.Type == FileType.SymbolicLink ? new FileInfo(entry.FullPath).LinkTarget ?? "" : "",
        };
    }

    /// <summary>Sends one requested file: exactly the size announced, in chunks, the last with eof.</summary>
    private static async Task SendFileAsync(SerializedWriter requests, List<Builder.Snapshotter.Context.ContextEntry> entries, uint index, CancellationToken cancellationToken)
    {
        if (index >= entries.Count || entries[(int)index].Type != FileType.RegularFile)
        {
            throw new InvalidOperationException($"the server asked for context entry {index}, which is not a file it was sent");
        }
        var entry = entries[(int)index];
        var remaining = entry.Status.Size;
        var buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(remaining, 1))];
        await using var file = new FileStream(entry.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0, FileOptions.SequentialScan);
        do
        {
            var want = (int)Math.Min(buffer.Length, remaining);
            var read = want == 0 ? 0 : await file.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
            if (read == 0 && remaining > 0)
            {
                throw new IOException($"{entry.FullPath} became shorter while it was being sent; run the build again");
            }
            remaining -= read;
            await requests.WriteAsync(new ClientMessage
            {
                File = new FileChunk { Index = index, Data = ByteString.CopyFrom(buffer, 0, read), Eof = remaining == 0 },
            }, cancellationToken).ConfigureAwait(false);
        }
        while (remaining > 0);
    }

    /// <summary>The request stream, one writer at a time (gRPC allows no overlapping writes).</summary>
    private sealed class SerializedWriter(IClientStreamWriter<ClientMessage> writer)
    {
        private readonly SemaphoreSlim _lock = new(1, 1);

        public async Task WriteAsync(ClientMessage message, CancellationToken cancellationToken)
        {
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _lock.Release();
            }
        }

        public async Task CompleteAsync()
        {
            await _lock.WaitAsync().ConfigureAwait(false);
            try
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
            finally
            {
                _lock.Release();
            }
        }
    }
}
