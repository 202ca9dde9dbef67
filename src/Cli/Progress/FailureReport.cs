using System.Globalization;
using Builder.Solver.Progress;

namespace Builder.Cli.Progress;

/// <summary>
/// Prints why a build failed as one screen. A failed process gets its step and cause (exit code,
/// signal or out of memory), the Dockerfile lines, at most the last 20 lines of its output, the
/// path of its full log and how to enter its kept state. Any other failure is one paragraph:
/// <c>error: FILE:LINE: step: message</c>, then the instruction's lines.
/// </summary>
internal static class FailureReport
{
    /// <summary>The most output lines ever printed.</summary>
    public const int MaxOutputLines = 20;

    /// <summary>The most source lines printed for one instruction.</summary>
    public const int MaxSourceLines = 10;

    public static void Write(TextWriter output, StepFailure failure, string? stepName)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(failure);
        if (IsProcessFailure(failure))
        {
            WriteProcessFailure(output, failure, stepName);
        }
        else
        {
            WriteOtherFailure(output, failure, stepName);
        }
    }

    /// <summary>The failure as text, for callers that need a string.</summary>
    public static string Format(StepFailure failure, string? stepName)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(text, failure, stepName);
        return text.ToString();
    }

    /// <summary>Whether the failure is a process that ran and did not succeed.</summary>
    public static bool IsProcessFailure(StepFailure failure) =>
        failure.ExitCode is not null || failure.Signal is not null || failure.OomKilled;

    /// <summary>How the process ended: <c>exit code 2</c>, <c>killed by signal 9 (SIGKILL)</c>, <c>out of memory</c>.</summary>
    public static string Cause(StepFailure failure)
    {
        if (failure.OomKilled)
        {
            return "out of memory (killed by the kernel's OOM killer)";
        }
        if (failure.Signal is { } signal)
        {
            return SignalName(signal) is { } name
                ? $"killed by signal {signal.ToString(CultureInfo.InvariantCulture)} ({name})"
                : $"killed by signal {signal.ToString(CultureInfo.InvariantCulture)}";
        }
        if (failure.ExitCode is { } code)
        {
            return $"exit code {code.ToString(CultureInfo.InvariantCulture)}";
        }
        return failure.Message;
    }

    private static void WriteProcessFailure(TextWriter output, StepFailure failure, string? stepName)
    {
        var step = string.IsNullOrEmpty(stepName) ? "step" : stepName;
        output.WriteLine($"error: {TerminalText.Clean(step)} failed: {Cause(failure)}");
        if (Location(failure) is { } location)
        {
            output.WriteLine($" --> {location}");
        }
        WriteSourceLines(output, failure);
        if (failure.SourceLines.Count == 0 && failure.Command is { Count: > 0 } command)
        {
            output.WriteLine($" command: {TerminalText.Clean(string.Join(' ', command))}");
        }

        var lines = failure.LastLines;
        var first = Math.Max(0, lines.Count - MaxOutputLines);
        var shown = lines.Count - first;
        if (shown == 0)
        {
            output.WriteLine(" (the step printed no output)");
        }
        else
        {
            output.WriteLine(shown == 1 ? " last line of output:" : $" last {shown.ToString(CultureInfo.InvariantCulture)} lines of output:");
            for (var i = first; i < lines.Count; i++)
            {
                output.WriteLine($"   {TerminalText.Clean(lines[i])}");
            }
        }
        if (!string.IsNullOrEmpty(failure.LogPath))
        {
            output.WriteLine($" full log: {failure.LogPath}");
        }
        if (!string.IsNullOrEmpty(failure.KeptStateId))
        {
            output.WriteLine($" the failed step's state is kept: builder debug shell {failure.KeptStateId}");
        }
    }

    private static void WriteOtherFailure(TextWriter output, StepFailure failure, string? stepName)
    {
        var location = Location(failure, rangeAsStart: true);
        var prefix = location is null ? "" : location + ": ";
        var step = string.IsNullOrEmpty(stepName) ? "" : TerminalText.Clean(stepName) + ": ";
        output.WriteLine($"error: {prefix}{step}{failure.Message}");
        WriteSourceLines(output, failure);
        if (!string.IsNullOrEmpty(failure.LogPath))
        {
            output.WriteLine($" full log: {failure.LogPath}");
        }
    }

    /// <summary><c>Dockerfile:12-13</c>, <c>Dockerfile:12</c>, or null when nothing is known.</summary>
    private static string? Location(StepFailure failure, bool rangeAsStart = false)
    {
        var file = string.IsNullOrEmpty(failure.SourceFile) ? null : failure.SourceFile;
        if (failure.StartLine <= 0)
        {
            return file;
        }
        var start = failure.StartLine.ToString(CultureInfo.InvariantCulture);
        var lines = failure.EndLine > failure.StartLine && !rangeAsStart
            ? $"{start}-{failure.EndLine.ToString(CultureInfo.InvariantCulture)}"
            : start;
        return file is null ? $"line {lines}" : $"{file}:{lines}";
    }

    private static void WriteSourceLines(TextWriter output, StepFailure failure)
    {
        var lines = failure.SourceLines;
        if (lines.Count == 0)
        {
            return;
        }
        var start = Math.Max(1, failure.StartLine);
        var shown = Math.Min(lines.Count, MaxSourceLines);
        var width = (start + shown - 1).ToString(CultureInfo.InvariantCulture).Length;
        for (var i = 0; i < shown; i++)
        {
            var number = failure.StartLine > 0 ? (start + i).ToString(CultureInfo.InvariantCulture).PadLeft(width) : new string(' ', width);
            output.WriteLine($"   {number} | {TerminalText.Clean(lines[i])}");
        }
        if (shown < lines.Count)
        {
            output.WriteLine($"   {new string(' ', width)} | ... ({(lines.Count - shown).ToString(CultureInfo.InvariantCulture)} more lines)");
        }
    }

    private static string? SignalName(int signal) => signal switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        24 => "SIGXCPU",
        25 => "SIGXFSZ",
        31 => "SIGSYS",
        _ => null,
    };
}
