using System.Globalization;
using Builder.Solver.Progress;
using Spectre.Console;

namespace Builder.Cli.Progress;

/// <summary>One line of a tty frame, already cut to the screen width.</summary>
internal readonly record struct FrameLine(string Text, Style Style);

/// <summary>
/// What the tty view shows, built from events (not thread-safe; the renderer locks around it).
/// A frame is a header (<c>[+] Building 3.2s (4/9)</c>) and one line per step in number order
/// (<c> => [build 2/5] RUN make   3.2s</c>, with CACHED, ERROR or CANCELED in front when so); a
/// running step also shows its progress items and the last <see cref="TailLines"/> lines of its
/// output (<c> => => # text</c>). A finished step is one line with its duration.
/// </summary>
internal sealed class TtyBuildView
{
    /// <summary>How many output lines of a running step are shown.</summary>
    public const int TailLines = 6;

    private static readonly Style RunningStyle = Style.Plain;
    private static readonly Style DoneStyle = new(Color.Blue);
    private static readonly Style ErrorStyle = new(Color.Red);
    private static readonly Style CanceledStyle = new(Color.Yellow);
    private static readonly Style DetailStyle = new(Color.Grey);

    private readonly Dictionary<string, Step> steps = new(StringComparer.Ordinal);
    private readonly List<Step> ordered = [];
    private readonly List<string> warnings = [];
    private readonly DateTimeOffset started;

    public TtyBuildView(DateTimeOffset started)
    {
        this.started = started;
    }

    /// <summary>Changes whenever an event changed what is shown.</summary>
    public long Version { get; private set; }

    /// <summary>Whether a step is running (its timer moves, so frames change without events).</summary>
    public bool AnyRunning => ordered.Any(s => !s.IsFinal);

    public IReadOnlyList<string> Warnings => warnings;

    public void Apply(ProgressEvent progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        Version++;
        switch (progress)
        {
            case VertexStatus status:
            {
                var step = StepFor(status.Id, status.Number, status.Time);
                step.Name = status.Name;
                if (step.IsFinal)
                {
                    return;
                }
                step.State = status.State;
                if (status.State == VertexState.Running)
                {
                    step.Started ??= status.Time;
                    return;
                }
                step.Duration = status.Duration ?? (step.Started is { } start ? status.Time - start : null);
                step.Failure = status.Failure;
                step.Tail.Clear();
                step.Items.Clear();
                break;
            }
            case VertexLog log:
            {
                var step = StepFor(log.Id, log.Number, log.Time);
                if (step.IsFinal)
                {
                    return;
                }
                step.Started ??= log.Time - log.Elapsed;
                step.Lines.Append(log.Data.Span, log.Elapsed, (_, text) =>
                {
                    step.Tail.Enqueue(TerminalText.Clean(text));
                    if (step.Tail.Count > TailLines)
                    {
                        step.Tail.Dequeue();
                    }
                });
                break;
            }
            case VertexProgress item:
            {
                var step = StepFor(item.Id, item.Number, item.Time);
                if (!step.IsFinal)
                {
                    step.Items[item.Item] = item;
                }
                break;
            }
            case BuildMessage { Level: MessageLevel.Warning } message:
                warnings.Add(message.Text);
                break;
        }
    }

    /// <summary>The name of the step that reported <paramref name="failure"/>, or else of the first that failed.</summary>
    public string? FailedStepName(StepFailure failure) =>
        (ordered.FirstOrDefault(s => ReferenceEquals(s.Failure, failure))
         ?? ordered.FirstOrDefault(s => s.Failure == failure)
         ?? ordered.FirstOrDefault(s => s.State == VertexState.Failed))?.Name;

    /// <summary>
    /// Builds a frame no wider than <paramref name="width"/> - 1 cells. A live frame fits in
    /// <paramref name="height"/> - 1 lines (finished steps go first, then the oldest output lines);
    /// a final frame (<paramref name="outcome"/> set) shows every step and no output.
    /// </summary>
    public IReadOnlyList<FrameLine> Frame(DateTimeOffset now, int width, int height, BuildOutcomeKind? outcome)
    {
        width = Math.Max(20, width - 1);
        var final = outcome is not null;
        var blocks = new List<Block>(ordered.Count);
        foreach (var step in ordered)
        {
            var block = new Block(StepLine(step, now, width), step.IsFinal);
            if (!step.IsFinal && !final)
            {
                foreach (var item in step.Items.Values)
                {
                    block.Details.Add(new FrameLine(Cut(" => => " + ItemText(item), width), DetailStyle));
                }
                foreach (var line in step.Tail)
                {
                    block.Details.Add(new FrameLine(Cut(" => => # " + line, width), DetailStyle));
                }
                if (step.Lines.HasPartial && TerminalText.Clean(step.Lines.Partial) is { Length: > 0 } partial)
                {
                    if (step.Tail.Count == TailLines)
                    {
                        block.Details.RemoveAt(block.Details.Count - TailLines);
                    }
                    block.Details.Add(new FrameLine(Cut(" => => # " + partial, width), DetailStyle));
                }
            }
            blocks.Add(block);
        }
        if (!final)
        {
            FitHeight(blocks, Math.Max(2, height - 1));
        }

        var lines = new List<FrameLine>(blocks.Sum(b => 1 + b.Details.Count) + 1) { new(Cut(Header(now, outcome), width), Style.Plain) };
        foreach (var block in blocks)
        {
            lines.Add(block.Line);
            lines.AddRange(block.Details);
        }
        return lines;
    }

    private string Header(DateTimeOffset now, BuildOutcomeKind? outcome)
    {
        var done = ordered.Count(s => s.IsFinal);
        var header = $"[+] Building {Seconds(now - started)}s ({done.ToString(CultureInfo.InvariantCulture)}/{ordered.Count.ToString(CultureInfo.InvariantCulture)})";
        return outcome switch
        {
            BuildOutcomeKind.Succeeded => header + " FINISHED",
            BuildOutcomeKind.Failed => header + " FAILED",
            BuildOutcomeKind.Canceled => header + " CANCELED",
            _ => header,
        };
    }

    private static FrameLine StepLine(Step step, DateTimeOffset now, int width)
    {
        var (label, style) = step.State switch
        {
            VertexState.Cached => ("CACHED " + step.Name, DoneStyle),
            VertexState.Done => (step.Name, DoneStyle),
            VertexState.Failed => ("ERROR " + step.Name, ErrorStyle),
            VertexState.Canceled => ("CANCELED " + step.Name, CanceledStyle),
            _ => (step.Name, RunningStyle),
        };
        var elapsed = step.IsFinal
            ? step.Duration ?? TimeSpan.Zero
            : step.Started is { } start ? now - start : TimeSpan.Zero;
        var timer = " " + Seconds(elapsed) + "s";
        var left = Cut(" => " + TerminalText.Clean(label), width - timer.Length);
        var pad = Math.Max(0, width - timer.Length - CellWidth(left));
        return new FrameLine(left + new string(' ', pad) + timer, style);
    }

    private static string ItemText(VertexProgress item)
    {
        var text = item.Item;
        if (item.Total is > 0)
        {
            text += $" {ByteSize.Format(item.Current)} / {ByteSize.Format(item.Total.Value)}";
        }
        else if (item.Current != 0)
        {
            text += " " + ByteSize.Format(item.Current);
        }
        return item.Completed ? text + " done" : text;
    }

    /// <summary>Drops finished steps (oldest first), then the oldest output lines, then the top, until the frame fits.</summary>
    private static void FitHeight(List<Block> blocks, int maxLines)
    {
        var total = 1 + blocks.Sum(b => 1 + b.Details.Count);
        for (var i = 0; i < blocks.Count && total > maxLines;)
        {
            if (blocks[i].Final)
            {
                total -= 1 + blocks[i].Details.Count;
                blocks.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }
        while (total > maxLines)
        {
            var largest = blocks.Where(b => b.Details.Count > 0).MaxBy(b => b.Details.Count);
            if (largest is null)
            {
                break;
            }
            largest.Details.RemoveAt(0);
            total--;
        }
        while (total > maxLines && blocks.Count > 0)
        {
            total -= 1 + blocks[0].Details.Count;
            blocks.RemoveAt(0);
        }
    }

    private Step StepFor(string id, int number, DateTimeOffset time)
    {
        if (!steps.TryGetValue(id, out var step))
        {
            step = new Step(number, time);
            steps.Add(id, step);
            var index = ordered.FindIndex(s => s.Number > number);
            ordered.Insert(index < 0 ? ordered.Count : index, step);
        }
        return step;
    }

    /// <summary>Cuts text to at most <paramref name="cells"/> terminal cells.</summary>
    internal static string Cut(string text, int cells)
    {
        if (cells <= 0)
        {
            return "";
        }
        var used = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var w = char.IsSurrogate(text[i]) ? (char.IsHighSurrogate(text[i]) ? 1 : 0) : text[i].GetCellWidth();
            if (used + w > cells)
            {
                return text[..i];
            }
            used += w;
        }
        return text;
    }

    private static int CellWidth(string text) => text.GetCellWidth();

    private static string Seconds(TimeSpan time) =>
        Math.Max(0, time.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture);

    private sealed class Step(int number, DateTimeOffset firstSeen)
    {
        public int Number { get; } = number;
        public DateTimeOffset FirstSeen { get; } = firstSeen;
        public string Name { get; set; } = "";
        public VertexState State { get; set; } = VertexState.Running;
        public DateTimeOffset? Started { get; set; }
        public TimeSpan? Duration { get; set; }
        public StepFailure? Failure { get; set; }
        public LogLineSplitter Lines { get; } = new();
        public Queue<string> Tail { get; } = new();
        public Dictionary<string, VertexProgress> Items { get; } = new(StringComparer.Ordinal);

        public bool IsFinal => State != VertexState.Running;
    }

    private sealed class Block(FrameLine line, bool final)
    {
        public FrameLine Line { get; } = line;
        public bool Final { get; } = final;
        public List<FrameLine> Details { get; } = [];
    }
}
