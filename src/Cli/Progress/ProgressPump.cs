using System.Threading.Channels;
using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// Hands reported events to one consumer task in the order they were enqueued. Enqueueing never
/// blocks (the queue is unbounded), so a slow terminal slows only the display, never the build.
/// A failing consumer (stderr closed) stops displaying; the build goes on. Memory is bounded by
/// dropping output chunks (never state changes) while more than <see cref="DefaultMaxQueuedLogBytes"/>
/// of output waits for a terminal that cannot keep up; each step's full log is kept by the solver.
/// </summary>
internal sealed class ProgressPump
{
    /// <summary>How much step output may wait in the queue before more is dropped from the display.</summary>
    public const long DefaultMaxQueuedLogBytes = 32L * 1024 * 1024;

    private readonly Channel<ProgressEvent> channel = Channel.CreateUnbounded<ProgressEvent>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Action<ProgressEvent> handle;
    private readonly Action drained;
    private readonly Task loop;
    private readonly long maxQueuedLogBytes;
    private long queuedLogBytes;
    private long droppedLogBytes;

    /// <param name="handle">Called for each event, on the consumer task.</param>
    /// <param name="drained">Called when the queue is empty for now (a good moment to flush).</param>
    /// <param name="maxQueuedLogBytes">How much output may wait before more is dropped.</param>
    public ProgressPump(Action<ProgressEvent> handle, Action drained, long maxQueuedLogBytes = DefaultMaxQueuedLogBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxQueuedLogBytes);
        this.handle = handle ?? throw new ArgumentNullException(nameof(handle));
        this.drained = drained ?? throw new ArgumentNullException(nameof(drained));
        this.maxQueuedLogBytes = maxQueuedLogBytes;
        loop = Task.Run(RunAsync);
    }

    /// <summary>Bytes of step output not shown because the display fell behind.</summary>
    public long DroppedLogBytes => Interlocked.Read(ref droppedLogBytes);

    /// <summary>The first exception the consumer threw, after which it only drains.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>Queues an event; ignored once <see cref="CompleteAsync"/> was called.</summary>
    public void Enqueue(ProgressEvent progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (progress is VertexLog log)
        {
            var size = log.Data.Length;
            if (Interlocked.Add(ref queuedLogBytes, size) > maxQueuedLogBytes)
            {
                Interlocked.Add(ref queuedLogBytes, -size);
                Interlocked.Add(ref droppedLogBytes, size);
                return;
            }
            if (!channel.Writer.TryWrite(progress))
            {
                Interlocked.Add(ref queuedLogBytes, -size);
            }
            return;
        }
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
                if (progress is VertexLog log)
                {
                    Interlocked.Add(ref queuedLogBytes, -log.Data.Length);
                }
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
