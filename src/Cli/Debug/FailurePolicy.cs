using System.Globalization;
using Builder.Build.Debug;
using Builder.Cli.Store;
using Builder.Solver.Failures;
using Builder.Solver.Progress;

namespace Builder.Cli.Debug;

/// <summary>What <c>builder build</c> does with a failed step's state (<c>--on-failure</c>).</summary>
internal enum FailureMode
{
    /// <summary>Keep it for <c>builder debug</c> (the default).</summary>
    Keep,
    /// <summary>Remove it with the build.</summary>
    Discard,
    /// <summary>Keep it and open <c>builder debug shell</c> in it at once (when standard input is a terminal).</summary>
    Shell,
}

/// <summary>
/// <c>--on-failure keep|discard|shell</c> and <c>--keep-failed-for</c> (else <c>$BUILDER_KEEP_FAILED</c>, else 24h):
/// applied to the solver's <see cref="FailedSteps"/> before the build (expired states are removed then) and
/// to the failure after it.
/// </summary>
internal sealed record FailurePolicy(FailureMode Mode, TimeSpan KeepFor)
{
    /// <summary>The environment variable giving the default of <c>--keep-failed-for</c>.</summary>
    public const string KeepForVariable = "BUILDER_KEEP_FAILED";

    public bool Keep => Mode != FailureMode.Discard;

    public static FailurePolicy Parse(string? mode, string? keepFor)
    {
        var parsedMode = mode switch
        {
            null or "" or "keep" => FailureMode.Keep,
            "discard" => FailureMode.Discard,
            "shell" => FailureMode.Shell,
            var other => throw new UsageException($"--on-failure {other}: expected keep, discard or shell"),
        };
        var duration = keepFor is not null
            ? ParseDuration(keepFor, "--keep-failed-for " + keepFor)
            : Environment.GetEnvironmentVariable(KeepForVariable) is { Length: > 0 } fromEnvironment
                ? ParseDuration(fromEnvironment, $"{KeepForVariable}={fromEnvironment}")
                : FailedSteps.DefaultKeepFor;
        return new FailurePolicy(parsedMode, duration);
    }

    /// <summary>A positive duration: a number with s, m, h or d (<c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>).</summary>
    public static TimeSpan ParseDuration(string text, string what)
    {
        ArgumentNullException.ThrowIfNull(text);
        var unit = text.Length > 0 ? text[^1] : ' ';
        var scale = unit switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, 'd' => 86400.0, _ => 0 };
        if (scale == 0 || !double.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new UsageException($"{what}: expected a positive duration such as 90s, 30m, 24h or 7d");
        }
        return TimeSpan.FromSeconds(value * scale);
    }

    /// <summary>Before the build: newly kept states live <see cref="KeepFor"/>; expired ones are removed now.</summary>
    public void Prepare(FailedSteps failures)
    {
        ArgumentNullException.ThrowIfNull(failures);
        failures.KeepFor = KeepFor;
        failures.RemoveExpired(DateTimeOffset.UtcNow);
    }

    /// <summary>After a failed build: with <see cref="FailureMode.Shell"/>, the shell in the kept state; returns the build's exit code.</summary>
    public async Task<int> AfterFailureAsync(CliContext cli, StoreSession store, StepFailure failure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(failure);
        if (Mode != FailureMode.Shell || failure.KeptStateId is not { } id)
        {
            return ExitCodes.Failure;
        }
        if (!ReferenceEquals(cli, CliContext.Console) || Console.IsInputRedirected)
        {
            await cli.Error.WriteLineAsync($"--on-failure shell: standard input is not a terminal, so no shell was opened; the state is kept: builder debug shell {id}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        await cli.Error.WriteLineAsync($"opening a shell in the failed step's state ({id}); exit it to end the build").ConfigureAwait(false);
        await DebugShell.RunAsync(cli, store.Images, DebugTarget.Resolve(store.Root, id, null), new DebugShellOptions(), cancellationToken).ConfigureAwait(false);
        return ExitCodes.Failure;
    }
}
