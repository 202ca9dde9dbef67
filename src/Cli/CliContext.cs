using Microsoft.Win32.SafeHandles;

namespace Builder.Cli;

/// <summary>
/// The process's standard streams, passed explicitly so commands can be tested in-process. Binary output
/// (an archive or tar on stdout) goes to <see cref="StdoutStream"/>, binary input to <see cref="StdinStream"/>;
/// when not given they are the console's.
/// </summary>
internal sealed record CliContext(TextReader In, TextWriter Out, TextWriter Error, Stream? RawOut = null, Stream? RawIn = null)
{
    public static CliContext Console { get; } = new(System.Console.In, System.Console.Out, System.Console.Error);

    /// <summary>Standard output as bytes (flush <see cref="Out"/> before writing here).</summary>
    public Stream StdoutStream => RawOut ?? System.Console.OpenStandardOutput();

    /// <summary>
    /// Standard input as bytes, read straight from descriptor 0. Not Console.OpenStandardInput: on a terminal that
    /// reads through .NET's line reader, which sets its own terminal modes (ISIG back on) over our raw mode, so a
    /// Ctrl-C meant for a container's shell would sometimes interrupt this process instead.
    /// </summary>
    public Stream StdinStream => RawIn ?? OpenStdin();

    /// <summary>Descriptor 0 as a stream; an empty one when the process was started with stdin closed.</summary>
    private static Stream OpenStdin()
    {
        try
        {
            return new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return Stream.Null;
        }
    }
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
