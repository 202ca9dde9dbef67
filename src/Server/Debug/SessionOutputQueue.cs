using System.Threading.Channels;
using Builder.Server.Protocol.Debugging;
using Grpc.Core;

namespace Builder.Server.Debug;

/// <summary>
/// The one writer of a debug session's response stream: the container's stdout and stderr copies (two
/// threads) and the session's own messages go through a queue in order. Each write waits until its message
/// is on the wire, so a slow client slows the container's output rather than filling the server's memory.
/// </summary>
internal sealed class SessionOutputQueue
{
    private readonly Channel<(SessionOutput Message, TaskCompletionSource Written)> _queue =
        Channel.CreateUnbounded<(SessionOutput, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;

    public SessionOutputQueue(IServerStreamWriter<SessionOutput> writer, CancellationToken cancellationToken)
    {
        _pump = Task.Run(async () =>
        {
            await foreach (var (message, written) in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await writer.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                    written.TrySetResult();
                }
                catch (Exception e)
                {
                    written.TrySetException(e);
                    throw;
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>Queues <paramref name="message"/> and waits until it is written.</summary>
    public async Task SendAsync(SessionOutput message, CancellationToken cancellationToken)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite((message, written)))
        {
            throw new InvalidOperationException("the session's response stream is closed");
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
        }
    }
}
