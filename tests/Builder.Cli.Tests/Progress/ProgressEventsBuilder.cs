using System.Text;
using Builder.Solver.Progress;

namespace Builder.Cli.Tests.Progress;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Builds synthetic event sequences on a timeline that starts at <see cref="Start"/>.</summary>
internal sealed class Timeline
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public DateTimeOffset Now { get; private set; } = Start;

    public Timeline Advance(double seconds)
    {
        Now = Now.AddSeconds(seconds);
        return this;
    }

    public static string Id(int number) => $"sha256:{number:x64}";

    public VertexStatus Running(int number, string name) => new(Now, Id(number), number, name, VertexState.Running);

    public VertexStatus Done(int number, string name, double seconds) =>
        new(Now, Id(number), number, name, VertexState.Done, TimeSpan.FromSeconds(seconds));

    public VertexStatus Cached(int number, string name) => new(Now, Id(number), number, name, VertexState.Cached);

    public VertexStatus Failed(int number, string name, StepFailure failure, double seconds = 0.5) =>
        new(Now, Id(number), number, name, VertexState.Failed, TimeSpan.FromSeconds(seconds), failure);

    public VertexStatus Canceled(int number, string name) => new(Now, Id(number), number, name, VertexState.Canceled);

    public VertexLog Log(int number, string text, double elapsed) => Log(number, Encoding.UTF8.GetBytes(text), elapsed);

    public VertexLog Log(int number, byte[] data, double elapsed, LogStream stream = LogStream.Stdout) =>
        new(Now, Id(number), number, stream, data, TimeSpan.FromSeconds(elapsed));

    public VertexProgress Progress(int number, string item, long current, long? total, bool completed = false) =>
        new(Now, Id(number), number, item, current, total, completed);

    public BuildMessage Warning(string text) => new(Now, MessageLevel.Warning, text);
}
