using Builder.Solver.Progress;
using Spectre.Console;

namespace Builder.Cli.Progress;

/// <summary>
/// <c>--progress=tty</c>: a live view (<see cref="TtyBuildView"/>) redrawn in place with
/// Spectre.Console at most once per <see cref="RefreshInterval"/>. Events are applied on the
/// pump's task and frames drawn on a render loop, so <see cref="Report"/> never waits for the
/// terminal. At the end the live frame is erased and the final state printed once, in full,
/// followed by the warnings and the failure report.
/// </summary>
internal sealed class TtyProgressRenderer : IProgressRenderer
{
    /// <summary>At most ten frames a second.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);

    private readonly IAnsiConsole console;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly TtyBuildView view;
    private readonly ProgressPump pump;
    private readonly PeriodicTimer? timer;
    private readonly Task loop;
    private int drawnLines;
    private long drawnVersion = -1;
    private int finished;

    /// <param name="console">Where to draw; frames move the cursor only when it supports ANSI.</param>
    /// <param name="time">The clock for timers and the refresh loop.</param>
    /// <param name="live">False draws no live frames, only the final state (for tests).</param>
    public TtyProgressRenderer(IAnsiConsole console, TimeProvider? time = null, bool live = true)
    {
        this.console = console ?? throw new ArgumentNullException(nameof(console));
        this.time = time ?? TimeProvider.System;
        view = new TtyBuildView(this.time.GetUtcNow());
        pump = new ProgressPump(Apply, static () => { });
        if (live)
        {
            if (console.Profile.Capabilities.Ansi)
            {
                console.Cursor.Hide();
            }
            timer = new PeriodicTimer(RefreshInterval, this.time);
            loop = Task.Run(RenderLoopAsync);
        }
        else
        {
            loop = Task.CompletedTask;
        }
    }

    public void Report(ProgressEvent progress) => pump.Enqueue(progress);

    public ValueTask FinishAsync(BuildOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return EndAsync(outcome);
    }

    public ValueTask DisposeAsync() => EndAsync(null);

    /// <summary>How many events the last drawn frame reflects (for tests waiting on the render loop).</summary>
    internal long DrawnVersion => Interlocked.Read(ref drawnVersion);

    /// <summary>Draws one live frame now (the render loop does this on its own).</summary>
    internal void Refresh()
    {
        IReadOnlyList<FrameLine> frame;
        lock (gate)
        {
            frame = view.Frame(time.GetUtcNow(), console.Profile.Width, console.Profile.Height, outcome: null);
            Interlocked.Exchange(ref drawnVersion, view.Version);
        }
        Draw(frame);
    }

    private async ValueTask EndAsync(BuildOutcome? outcome)
    {
        if (Interlocked.Exchange(ref finished, 1) != 0)
        {
            return;
        }
        await pump.CompleteAsync().ConfigureAwait(false);
        timer?.Dispose();
        await loop.ConfigureAwait(false);

        IReadOnlyList<FrameLine> frame;
        IReadOnlyList<string> warnings;
        string? failedStep = null;
        lock (gate)
        {
            // Without an outcome (disposed early, an exception) the last live frame stays as it was.
            frame = view.Frame(time.GetUtcNow(), console.Profile.Width, console.Profile.Height, outcome?.Kind);
            warnings = [.. view.Warnings];
            if (outcome?.Failure is { } failure)
            {
                failedStep = outcome.StepName ?? view.FailedStepName(failure);
            }
        }
        try
        {
            if (outcome is not null || drawnLines > 0)
            {
                // Disposed before anything was shown (a Dockerfile error): leave the screen alone.
                Draw(frame);
            }
            if (outcome is not null)
            {
                using var tail = new StringWriter { NewLine = "\n" };
                BuildSummary.WriteDropped(tail, pump.DroppedLogBytes);
                BuildSummary.WriteWarnings(tail, warnings);
                if (outcome is { Kind: BuildOutcomeKind.Failed, Failure: { } failure })
                {
                    tail.WriteLine();
                    FailureReport.Write(tail, failure, failedStep);
                }
                if (tail.GetStringBuilder().Length > 0)
                {
                    // Written as is, not through Spectre's layout, which would wrap long lines
                    // at the screen width and break paths and messages people copy.
                    console.Profile.Out.Writer.Write(tail.ToString());
                    console.Profile.Out.Writer.Flush();
                }
            }
        }
        catch (IOException)
        {
            // stderr went away; the exit code still tells the story.
        }
        finally
        {
            if (timer is not null && console.Profile.Capabilities.Ansi)
            {
                console.Cursor.Show();
            }
        }
    }

    private void Apply(ProgressEvent progress)
    {
        lock (gate)
        {
            view.Apply(progress);
        }
    }

    private async Task RenderLoopAsync()
    {
        try
        {
            while (await timer!.WaitForNextTickAsync().ConfigureAwait(false))
            {
                bool changed;
                lock (gate)
                {
                    changed = view.Version != drawnVersion || view.AnyRunning;
                }
                if (changed)
                {
                    Refresh();
                }
            }
        }
        catch (Exception)
        {
            // stderr went away (or drawing broke): stop drawing, the build goes on; the end
            // of the build still prints the final state and any failure.
        }
    }

    /// <summary>Replaces the previous frame with <paramref name="frame"/>.</summary>
    private void Draw(IReadOnlyList<FrameLine> frame)
    {
        var previous = drawnLines;
        if (previous > 0 && console.Profile.Capabilities.Ansi)
        {
            console.WriteAnsi(w =>
            {
                w.Write("\r");
                w.CursorUp(previous);
                w.EraseInDisplay(0);
            });
        }
        var paragraph = new Paragraph();
        foreach (var line in frame)
        {
            paragraph.Append(line.Text + "\n", line.Style);
        }
        console.Write(paragraph);
        drawnLines = frame.Count;
    }
}
