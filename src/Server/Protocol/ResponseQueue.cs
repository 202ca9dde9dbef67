using System.Threading.Channels;
using Grpc.Core;

namespace Builder.Server.Protocol;

/// <summary>
/// The one writer of a call's response stream (gRPC allows one write at a time): messages from any thread
/// go through a queue, in order. <see cref="SendAsync"/> waits until its message is on the wire, so a slow
/// client slows the producer rather than filling the server's memory; <see cref="Post"/> does not wait,
/// for producers that must never block (progress).
/// </summary>
internal sealed class ResponseQueue<T>
{
    private readonly Channel<(T Message, TaskCompletionSource? Written)> _queue =
        Channel.CreateUnbounded<(T, TaskCompletionSource?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;

    public ResponseQueue(IServerStreamWriter<T> writer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writer);
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

    /// <summary>Queues <paramref name="message"/> without waiting; false once the queue is completed.</summary>
    public bool Post(T message) => _queue.Writer.TryWrite((message, null));

    /// <summary>Queues <paramref name="message"/> and waits until it is on the wire.</summary>
    public async Task SendAsync(T message, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((message, written)))
        {
            throw new InvalidOperationException("the response stream is closed");
        }
        await written.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes what is queued and ends the pump; a client that is gone is not an error here.</summary>
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
