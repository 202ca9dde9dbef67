using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// <c>--progress=plain</c>: BuildKit's plain format (<see cref="PlainProgressPrinter"/>) on stderr,
/// written by one consumer task; a once-a-second tick lets output that waits behind another
/// vertex through even when no events come.
/// </summary>
internal sealed class PlainProgressRenderer : IProgressRenderer
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly OutputBatch batch;
    private readonly TimeProvider time;
    private readonly PlainProgressPrinter printer;
    private readonly ProgressPump pump;
    private readonly ITimer ticker;
    private DateTimeOffset now;
    private int finished;

    public PlainProgressRenderer(TextWriter output, TimeProvider? time = null, long maxQueuedLogBytes = ProgressPump.DefaultMaxQueuedLogBytes)
    {
        batch = new OutputBatch(output);
        this.time = time ?? TimeProvider.System;
        printer = new PlainProgressPrinter(batch.Writer);
        pump = new ProgressPump(Handle, batch.WriteOut, maxQueuedLogBytes);
        ticker = this.time.CreateTimer(_ => pump.Enqueue(new Tick(this.time.GetUtcNow())), null, TickInterval, TickInterval);
    }

    public void Report(ProgressEvent progress) => pump.Enqueue(progress);

    public async ValueTask FinishAsync(BuildOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (Interlocked.Exchange(ref finished, 1) != 0)
        {
            return;
        }
        await ticker.DisposeAsync().ConfigureAwait(false);
        await pump.CompleteAsync().ConfigureAwait(false);
        if (pump.Fault is not null)
        {
            return;
        }
        try
        {
            printer.Flush();
            BuildSummary.WriteDropped(batch.Writer, pump.DroppedLogBytes);
            BuildSummary.WriteWarnings(batch.Writer, printer.Warnings);
            if (outcome is { Kind: BuildOutcomeKind.Failed, Failure: { } failure })
            {
                batch.Writer.WriteLine();
                FailureReport.Write(batch.Writer, failure, outcome.StepName ?? printer.FailedStepName(failure));
            }
            batch.WriteOut();
        }
        catch (IOException)
        {
            // stderr went away; the exit code still tells the story.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref finished, 1) != 0)
        {
            return;
        }
        await ticker.DisposeAsync().ConfigureAwait(false);
        await pump.CompleteAsync().ConfigureAwait(false);
        if (pump.Fault is null)
        {
            try
            {
                printer.Flush();
                batch.WriteOut();
            }
            catch (IOException)
            {
            }
        }
    }

    private void Handle(ProgressEvent progress)
    {
        // Time is taken from the events (and ticks), never from when the pump got to them, so
        // what waits how long does not depend on how fast the terminal is.
        now = progress.Time > now ? progress.Time : now;
        if (progress is Tick)
        {
            printer.Tick(now);
        }
        else
        {
            printer.Handle(progress, now);
        }
        batch.WriteIfLarge();
    }

    /// <summary>Time passing, queued behind the events so the printer sees everything in order.</summary>
    private sealed record Tick(DateTimeOffset Time) : ProgressEvent(Time);
}
