using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// Shows a build's progress on stderr. <see cref="IProgressSink.Report"/> only enqueues (it never
/// blocks on the terminal); <see cref="FinishAsync"/> prints what is left and the end of the build.
/// Disposing without finishing flushes what was reported and prints no summary.
/// </summary>
internal interface IProgressRenderer : IProgressSink, IAsyncDisposable
{
    /// <summary>
    /// Ends the display: every reported event is shown, then the warnings summary and, for a
    /// failed build, the <see cref="FailureReport"/>. Call once; later reports are ignored.
    /// </summary>
    ValueTask FinishAsync(BuildOutcome outcome);
}

/// <summary>How a build ended.</summary>
internal enum BuildOutcomeKind
{
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>
/// How a build ended, for <see cref="IProgressRenderer.FinishAsync"/>. A failure names its step
/// when the caller knows it; otherwise the renderer uses the name of the vertex that reported it.
/// </summary>
internal sealed record BuildOutcome(BuildOutcomeKind Kind, StepFailure? Failure = null, string? StepName = null)
{
    public static BuildOutcome Succeeded { get; } = new(BuildOutcomeKind.Succeeded);

    public static BuildOutcome Canceled { get; } = new(BuildOutcomeKind.Canceled);

    public static BuildOutcome Failed(StepFailure failure, string? stepName = null)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return new(BuildOutcomeKind.Failed, failure, stepName);
    }
}
