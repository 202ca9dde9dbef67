using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// <c>--progress=quiet</c>: shows no progress (the build command prints the image id itself). A
/// failed build still prints its <see cref="FailureReport"/>, as <c>docker build -q</c> still
/// prints its error: a failure must explain itself in every mode.
/// </summary>
internal sealed class QuietProgressRenderer(TextWriter output) : IProgressRenderer
{
    private readonly TextWriter output = output ?? throw new ArgumentNullException(nameof(output));
    private readonly Lock gate = new();
    private readonly List<VertexStatus> failed = [];

    public void Report(ProgressEvent progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (progress is VertexStatus { State: VertexState.Failed } status)
        {
            lock (gate)
            {
                failed.Add(status);
            }
        }
    }

    public ValueTask FinishAsync(BuildOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (outcome is { Kind: BuildOutcomeKind.Failed, Failure: { } failure })
        {
            string? name;
            lock (gate)
            {
                name = outcome.StepName
                    ?? (failed.FirstOrDefault(s => ReferenceEquals(s.Failure, failure)) ?? failed.FirstOrDefault())?.Name;
            }
            FailureReport.Write(output, failure, name);
            output.Flush();
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
