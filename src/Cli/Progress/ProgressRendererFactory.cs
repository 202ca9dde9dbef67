using System.Runtime.CompilerServices;
using Spectre.Console;

namespace Builder.Cli.Progress;

/// <summary>Makes the <see cref="IProgressRenderer"/> for a <c>--progress</c> mode. Progress goes to stderr, as in BuildKit.</summary>
internal static class ProgressRendererFactory
{
    /// <summary>Makes the renderer; <see cref="ProgressMode.Auto"/> reads TERM from the environment.</summary>
    public static IProgressRenderer Create(ProgressMode mode, TextWriter error, bool errorIsTerminal) =>
        Create(mode, error, errorIsTerminal, Environment.GetEnvironmentVariable("TERM"), TimeProvider.System);

    /// <param name="mode">The mode asked for.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="errorIsTerminal">Whether standard error is a terminal (not redirected).</param>
    /// <param name="term">The TERM variable; "dumb" means no cursor movement.</param>
    /// <param name="time">The clock for timers.</param>
    public static IProgressRenderer Create(ProgressMode mode, TextWriter error, bool errorIsTerminal, string? term, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(time);
        return ProgressModes.Resolve(mode, errorIsTerminal, term) switch
        {
            ProgressMode.Tty => CreateTty(error, time),
            ProgressMode.Quiet => new QuietProgressRenderer(error),
            ProgressMode.RawJson => new RawJsonProgressRenderer(error),
            _ => new PlainProgressRenderer(error, time),
        };
    }

    /// <summary>
    /// The tty renderer on a Spectre console over stderr that always moves the cursor (tty was
    /// chosen or asked for). Kept out of line so plain, quiet and rawjson never load Spectre.Console.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IProgressRenderer CreateTty(TextWriter error, TimeProvider time)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(error),
        });
        return new TtyProgressRenderer(console, time);
    }
}
