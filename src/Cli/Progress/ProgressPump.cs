using System.Threading.Channels;
using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// Hands reported events to one consumer task in the order they were enqueued. Enqueueing never
/// blocks (the queue is unbounded), so a slow terminal slows only the display, never the build.
/// A failing consumer (stderr closed) stops displaying; the build goes on.
/// </summary>
internal sealed class ProgressPump
{
    private readonly Channel<ProgressEvent> channel = Channel.CreateUnbounded<ProgressEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Action<ProgressEvent> handle;
    private readonly Action drained;
    private readonly Task loop;

    /// <param name="handle">Called for each event, on the consumer task.</param>
    /// <param name="drained">Called when the queue is empty for now (a good moment to flush).</param>
    public ProgressPump(Action<ProgressEvent> handle, Action drained)
    {
        this.handle = handle ?? throw new ArgumentNullException(nameof(handle));
        this.drained = drained ?? throw new ArgumentNullException(nameof(drained));
        loop = Task.Run(RunAsync);
    }

    /// <summary>The first exception the consumer threw, after which it only drains.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Queues an event; ignored once <see cref="CompleteAsync"/> was called.</summary>
    public void Enqueue(ProgressEvent progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        channel.Writer.TryWrite(progress);
    }

    /// <summary>Stops accepting events and waits until every queued one was handled.</summary>
    public Task CompleteAsync()
    {
        channel.Writer.TryComplete();
        return loop;
    }

    private async Task RunAsync()
    {
        var reader = channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var progress))
            {
                if (Fault is not null)
                {
                    continue;
                }
                try
                {
                    handle(progress);
                }
                catch (Exception e)
                {
                    Fault = e;
                }
            }
            if (Fault is null)
            {
                try
                {
                    drained();
                }
                catch (Exception e)
                {
                    Fault = e;
                }
            }
        }
    }
}
