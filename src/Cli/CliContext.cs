namespace Builder.Cli;

/// <summary>The process's standard streams, passed explicitly so commands can be tested in-process.</summary>
internal sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error)
{
    public static CliContext Console { get; } = new(System.Console.In, System.Console.Out, System.Console.Error);
}

/// <summary>Exit codes shared by every command.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The input (Dockerfile, context, build) failed.</summary>
    public const int Failure = 1;
    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;
    /// <summary>Interrupted (Ctrl-C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}
