using Builder.Server.Protocol;
using Builder.Solver.Progress;
using Google.Protobuf;
using Grpc.Core;

namespace Builder.Server.Builds;

/// <summary>
/// A build's response stream: progress (from many threads, never blocking the build), requests and output
/// data, in order, through one <see cref="ResponseQueue{T}"/>. Output data waits until written, so a slow
/// client slows the export rather than filling the server's memory.
/// </summary>
internal sealed class ServerStream : IProgressSink
{
    private const int OutputChunkSize = 1 << 20;
    private readonly ResponseQueue<ServerMessage> _queue;

    public ServerStream(IServerStreamWriter<ServerMessage> writer, CancellationToken cancellationToken) =>
        _queue = new ResponseQueue<ServerMessage>(writer, cancellationToken);

    public void Report(Builder.Solver.Progress.ProgressEvent progress) => _queue.Post(new ServerMessage { Progress = ProgressMapping.ToWire(progress) });

    /// <summary>Queues a message and waits until it is on the wire.</summary>
    public Task SendAsync(ServerMessage message, CancellationToken cancellationToken) => _queue.SendAsync(message, cancellationToken);

    /// <summary>Sends what is queued and ends the pump.</summary>
    public Task CompleteAsync() => _queue.CompleteAsync();

    /// <summary>The build's stdout as OutputData messages: where <c>dest=-</c> outputs, and the outputs the client writes, go.</summary>
    public Stream OpenOutput(CancellationToken cancellationToken) => new MessageWriteStream(
        (piece, token) => SendAsync(new ServerMessage { Output = new OutputData { Data = ByteString.CopyFrom(piece.Span) } }, token),
        OutputChunkSize, cancellationToken);
}
