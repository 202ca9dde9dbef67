namespace Builder.Engine;

/// <summary>
/// How a container ended. <see cref="ExitCode"/> follows the shell's convention: the command's
/// status, 128+N when killed by signal N, 127 when the command was not found, 126 when it could
/// not be executed and 125 when the container itself could not be set up.
/// </summary>
public sealed record ContainerExit(int ExitCode, int? Signal = null, bool OomKilled = false, StartFailure? Failure = null)
{
    public bool Succeeded => ExitCode == 0 && Signal is null && Failure is null;

    public override string ToString() =>
        Failure is not null ? $"{Failure.Kind}: {Failure.Message} (exit code {ExitCode})"
        : OomKilled ? $"killed by the OOM killer (signal {Signal ?? 9})"
        : Signal is not null ? $"killed by signal {Signal}"
        : $"exit code {ExitCode}";
}

/// <summary>The command never ran: why, in words that name the offending value.</summary>
public sealed record StartFailure(StartFailureKind Kind, string Message);
