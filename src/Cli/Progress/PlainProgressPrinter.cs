using System.Globalization;
using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// BuildKit's plain progress format, fed one event at a time (not thread-safe; the renderer calls
/// it from one task). Output is grouped in blocks per vertex: <c>#N name</c>, then its lines as
/// <c>#N 0.512 text</c>, progress as <c>#N item 1.20MB / 3.40MB 0.5s</c>, and an end line
/// (<c>#N DONE 0.3s</c>, <c>#N CACHED</c>, <c>#N ERROR: message</c>, <c>#N CANCELED</c>). Blocks
/// are separated by a blank line; a block left before its vertex ended closes with <c>#N ...</c>.
/// Like BuildKit, output of a vertex that is not the current one waits until the current one ends,
/// has held the screen for <see cref="AntiFlicker"/>, or the other has waited <see cref="MaxDelay"/>.
/// </summary>
internal sealed class PlainProgressPrinter
{
    /// <summary>How long the current vertex keeps the screen before another with output may take it.</summary>
    public static readonly TimeSpan AntiFlicker = TimeSpan.FromSeconds(5);

    /// <summary>How long a vertex's output may wait before it is shown anyway.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    /// <summary>Progress of an item is printed again only after this share of its total or <see cref="ProgressInterval"/>.</summary>
    public const double MinProgressDelta = 0.05;

    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    private readonly TextWriter output;
    private readonly Dictionary<string, VertexBlock> vertices = new(StringComparer.Ordinal);
    private readonly List<VertexBlock> completed = [];
    private readonly List<string> warnings = [];
    private VertexBlock? current;
    private DateTimeOffset currentSince;
    private DateTimeOffset now;
    private bool notFirst;
    private int dirtyCount;

    public PlainProgressPrinter(TextWriter output)
    {
        this.output = output ?? throw new ArgumentNullException(nameof(output));
    }

    /// <summary>Warnings seen so far, for the summary at the end.</summary>
    public IReadOnlyList<string> Warnings => warnings;

    /// <summary>Applies an event and prints what may be printed now.</summary>
    public void Handle(ProgressEvent progress, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(progress);
        this.now = now;
        switch (progress)
        {
            case VertexStatus status:
                Apply(status);
                break;
            case VertexLog log:
                Apply(log);
                break;
            case VertexProgress item:
                Apply(item);
                break;
            case BuildMessage message:
                PrintPending(now);
                PrintMessage(message);
                return;
        }
        PrintPending(now);
    }

    /// <summary>Lets waiting output through when time passed without events.</summary>
    public void Tick(DateTimeOffset now)
    {
        this.now = now;
        PrintPending(now);
    }

    /// <summary>Prints everything still held, ended vertices first, then running ones in number order.</summary>
    public void Flush()
    {
        foreach (var vertex in completed.ToArray())
        {
            PrintVertex(vertex);
        }
        completed.Clear();
        foreach (var vertex in vertices.Values.Where(v => v.Dirty).OrderBy(v => v.Number).ToArray())
        {
            PrintVertex(vertex);
        }
    }

    /// <summary>The vertex that reported <paramref name="failure"/>, or else the first that failed.</summary>
    public string? FailedStepName(StepFailure failure) =>
        (vertices.Values.FirstOrDefault(v => ReferenceEquals(v.Failure, failure))
         ?? vertices.Values.FirstOrDefault(v => v.Failure == failure)
         ?? vertices.Values.Where(v => v.State == VertexState.Failed).OrderBy(v => v.Number).FirstOrDefault())?.Name;

    private VertexBlock Vertex(string id, int number, string? name, DateTimeOffset time)
    {
        if (!vertices.TryGetValue(id, out var vertex))
        {
            vertex = new VertexBlock(id, number, name ?? "", time);
            vertices.Add(id, vertex);
        }
        else if (name is not null)
        {
            vertex.Name = name;
        }
        return vertex;
    }

    private void Apply(VertexStatus status)
    {
        var vertex = Vertex(status.Id, status.Number, status.Name, status.Time);
        if (vertex.IsFinal)
        {
            return;
        }
        vertex.State = status.State;
        if (status.State == VertexState.Running)
        {
            vertex.Started ??= status.Time;
            if (!vertex.Announced)
            {
                vertex.Announced = true;
                MarkDirty(vertex, status.Time);
            }
            return;
        }
        if (vertex.Lines.TryFlush(out var elapsed, out var text))
        {
            AddLine(vertex, FormatLogLine(elapsed, text), status.Time);
        }
        vertex.Failure = status.Failure;
        vertex.EndLine = status.State switch
        {
            VertexState.Cached => "CACHED",
            VertexState.Failed => "ERROR: " + (status.Failure?.Message ?? "failed"),
            VertexState.Canceled => "CANCELED",
            _ => DoneLine(vertex, status),
        };
        MarkDirty(vertex, status.Time);
        completed.Add(vertex);
    }

    private static string DoneLine(VertexBlock vertex, VertexStatus status)
    {
        var duration = status.Duration ?? (vertex.Started is { } started ? status.Time - started : null);
        return duration is { } d ? $"DONE {Seconds(d, 1)}s" : "DONE";
    }

    private void Apply(VertexLog log)
    {
        var vertex = Vertex(log.Id, log.Number, null, log.Time);
        if (vertex.IsFinal)
        {
            return;
        }
        vertex.Started ??= log.Time - log.Elapsed;
        vertex.Lines.Append(log.Data.Span, log.Elapsed, (elapsed, text) => AddLine(vertex, FormatLogLine(elapsed, text), log.Time));
    }

    private void Apply(VertexProgress item)
    {
        var vertex = Vertex(item.Id, item.Number, null, item.Time);
        if (vertex.IsFinal)
        {
            return;
        }
        if (!vertex.Items.TryGetValue(item.Item, out var state))
        {
            state = new ItemState(item.Time);
            vertex.Items.Add(item.Item, state);
        }
        else if (!item.Completed && state.Printed)
        {
            var delta = item.Total is > 0 ? (double)(item.Current - state.LastCurrent) / item.Total.Value : 0;
            if (delta < MinProgressDelta && item.Time - state.LastPrinted < ProgressInterval)
            {
                return;
            }
        }
        if (state.Done)
        {
            return;
        }
        state.Printed = true;
        state.LastCurrent = item.Current;
        state.LastPrinted = item.Time;
        state.Done = item.Completed;

        var line = item.Item;
        if (item.Total is > 0)
        {
            line += $" {ByteSize.Format(item.Current)} / {ByteSize.Format(item.Total.Value)}";
        }
        else if (item.Current != 0)
        {
            line += " " + ByteSize.Format(item.Current);
        }
        var took = item.Time - state.Started;
        if (took.TotalSeconds > 0.01)
        {
            line += $" {Seconds(took, 1)}s";
        }
        if (item.Completed)
        {
            line += " done";
        }
        AddLine(vertex, line, item.Time);
    }

    private void MarkDirty(VertexBlock vertex, DateTimeOffset time)
    {
        if (vertex.MarkDirty(time))
        {
            dirtyCount++;
        }
    }

    private void AddLine(VertexBlock vertex, string line, DateTimeOffset time)
    {
        vertex.Pending.Add(line);
        MarkDirty(vertex, time);
    }

    private void PrintPending(DateTimeOffset now)
    {
        if (current is { IsFinal: true })
        {
            PrintVertex(current);
        }
        foreach (var vertex in completed)
        {
            PrintVertex(vertex);
        }
        completed.Clear();

        if (current is { Dirty: true })
        {
            PrintVertex(current);
        }
        if (dirtyCount == 0)
        {
            return;
        }
        var waiting = vertices.Values.Where(v => v.Dirty && v != current).OrderBy(v => v.DirtySince).ThenBy(v => v.Number).FirstOrDefault();
        if (waiting is null)
        {
            return;
        }
        if (current is null || now - currentSince >= AntiFlicker || now - waiting.DirtySince >= MaxDelay)
        {
            PrintVertex(waiting);
        }
    }

    private void PrintVertex(VertexBlock vertex)
    {
        if (vertex.EndPrinted)
        {
            return;
        }
        if (vertex != current)
        {
            if (current is not null)
            {
                output.WriteLine($"#{current.Number.ToString(CultureInfo.InvariantCulture)} ...");
            }
            if (notFirst)
            {
                output.WriteLine();
            }
            notFirst = true;
            output.WriteLine($"#{vertex.Number.ToString(CultureInfo.InvariantCulture)} {vertex.Name}");
            current = vertex;
            currentSince = now;
        }
        var prefix = $"#{vertex.Number.ToString(CultureInfo.InvariantCulture)} ";
        foreach (var line in vertex.Pending)
        {
            output.Write(prefix);
            output.WriteLine(line);
        }
        vertex.Pending.Clear();
        if (vertex.Dirty)
        {
            vertex.Dirty = false;
            dirtyCount--;
        }
        if (vertex.EndLine is not null)
        {
            output.Write(prefix);
            output.WriteLine(vertex.EndLine);
            vertex.EndPrinted = true;
            current = null;
        }
    }

    private void PrintMessage(BuildMessage message)
    {
        if (current is not null)
        {
            output.WriteLine($"#{current.Number.ToString(CultureInfo.InvariantCulture)} ...");
            current = null;
        }
        if (notFirst)
        {
            output.WriteLine();
        }
        notFirst = true;
        switch (message.Level)
        {
            case MessageLevel.Warning:
                warnings.Add(message.Text);
                output.WriteLine("WARN: " + message.Text);
                break;
            case MessageLevel.Error:
                output.WriteLine("ERROR: " + message.Text);
                break;
            default:
                output.WriteLine(message.Text);
                break;
        }
    }

    /// <summary><c>0.512 text</c>: seconds since the vertex started, with BuildKit's precision (3, 2 or 1 decimals).</summary>
    public static string FormatLogLine(TimeSpan elapsed, string text)
    {
        var seconds = Math.Max(0, elapsed.TotalSeconds);
        var decimals = seconds < 10 ? 3 : seconds < 100 ? 2 : 1;
        return Seconds(elapsed, decimals) + " " + text;
    }

    private static string Seconds(TimeSpan time, int decimals) =>
        Math.Max(0, time.TotalSeconds).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private sealed class VertexBlock(string id, int number, string name, DateTimeOffset firstSeen)
    {
        public string Id { get; } = id;
        public int Number { get; } = number;
        public string Name { get; set; } = name;
        public VertexState State { get; set; } = VertexState.Running;
        public DateTimeOffset? Started { get; set; }
        public LogLineSplitter Lines { get; } = new();
        public List<string> Pending { get; } = [];
        public Dictionary<string, ItemState> Items { get; } = new(StringComparer.Ordinal);
        public bool Dirty { get; set; }
        public bool Announced { get; set; }
        public DateTimeOffset DirtySince { get; private set; } = firstSeen;
        public string? EndLine { get; set; }
        public bool EndPrinted { get; set; }
        public StepFailure? Failure { get; set; }

        public bool IsFinal => EndLine is not null;

        /// <summary>Marks the vertex as having something to print; true when it was clean.</summary>
        public bool MarkDirty(DateTimeOffset time)
        {
            if (Dirty)
            {
                return false;
            }
            Dirty = true;
            DirtySince = time;
            return true;
        }
    }

    private sealed class ItemState(DateTimeOffset started)
    {
        public DateTimeOffset Started { get; } = started;
        public bool Printed { get; set; }
        public bool Done { get; set; }
        public long LastCurrent { get; set; }
        public DateTimeOffset LastPrinted { get; set; }
    }
}
