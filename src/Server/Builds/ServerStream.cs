using System.Threading.Channels;
using Builder.Server.Protocol;
using Builder.Solver.Progress;
using Grpc.Core;

namespace Builder.Server.Builds;

/// <summary>
/// The one writer of a build's response stream: progress (from many threads, never blocking the build),
/// requests and output data go through a queue in order. Output data waits until written, so a slow
/// client slows the export rather than filling the server's memory.
/// </summary>
internal sealed class ServerStream : IProgressSink
{
    private readonly Channel<(ServerMessage Message, TaskCompletionSource? Written)> _queue =
        Channel.CreateUnbounded<(ServerMessage, TaskCompletionSource?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;

    public ServerStream(IServerStreamWriter<ServerMessage> writer, CancellationToken cancellationToken)
    {
        _pump = Task.Run(async () =>
        {
            await foreach (var (message, written) in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                    written?.TrySetResult();
                }
                catch (Exception e)
                {
                    written?.TrySetException(e);
                    throw;
                }
            }
        }, CancellationToken.None);
    }

    public void Report(Builder.Solver.Progress.ProgressEvent progress) => _queue.Writer.TryWrite((new ServerMessage { Progress = ProgressMapping.ToWire(progress) }, null));

    /// <summary>Queues a message and waits until it is on the wire.</summary>
    public async Task SendAsync(ServerMessage message, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((message, written)))
        {
            throw new InvalidOperationException("the response stream is closed");
        }
        await written.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends what is queued and ends the pump.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // The client is gone; nothing more can reach it.
        }
    }
}

/// <summary>The build's stdout as OutputData messages: where <c>dest=-</c> outputs, and the outputs the client writes, go.</summary>
internal sealed class OutputDataStream(ServerStream stream, CancellationToken cancellationToken) : Stream
{
    private const int ChunkSize = 1 << 20;
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        for (var start = 0; start < buffer.Length; start += ChunkSize)
        {
            var piece = buffer.Slice(start, Math.Min(ChunkSize, buffer.Length - start));
            await stream.SendAsync(new ServerMessage { Output = new OutputData { Data = Google.Protobuf.ByteString.CopyFrom(piece.Span) } }, cancellationToken).ConfigureAwait(false);
            _written += piece.Length;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) => WriteAsync(buffer.AsMemory(offset, count), token).AsTask();
}
