namespace Builder.Cli.Progress;

/// <summary>How build progress is shown (<c>--progress</c>), as in BuildKit.</summary>
internal enum ProgressMode
{
    /// <summary><see cref="Tty"/> when stderr is a terminal and TERM is not "dumb", else <see cref="Plain"/>.</summary>
    Auto,
    /// <summary>A live view of the running steps, redrawn in place.</summary>
    Tty,
    /// <summary>One line per event in BuildKit's plain format.</summary>
    Plain,
    /// <summary>Nothing; the build command prints only the image id.</summary>
    Quiet,
    /// <summary>One JSON object per line per event.</summary>
    RawJson,
}

/// <summary>Parsing and resolution of <see cref="ProgressMode"/>.</summary>
internal static class ProgressModes
{
    /// <summary>The names <c>--progress</c> accepts, in the order help lists them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "tty", "plain", "quiet", "rawjson"];

    /// <summary>Parses a <c>--progress</c> value (case-insensitive); null or empty (no flag) is auto, the default.</summary>
    public static bool TryParse(string? text, out ProgressMode mode)
    {
        switch (text?.ToLowerInvariant())
        {
            case null or "":
            case "auto":
                mode = ProgressMode.Auto;
                return true;
            case "tty":
                mode = ProgressMode.Tty;
                return true;
            case "plain":
                mode = ProgressMode.Plain;
                return true;
            case "quiet":
                mode = ProgressMode.Quiet;
                return true;
            case "rawjson":
                mode = ProgressMode.RawJson;
                return true;
            default:
                mode = ProgressMode.Auto;
                return false;
        }
    }

    /// <summary>Parses a <c>--progress</c> value; a wrong one is a usage error that lists the valid ones.</summary>
    public static ProgressMode Parse(string? text) =>
        TryParse(text, out var mode)
            ? mode
            : throw new UsageException($"invalid progress mode \"{text}\": use one of {string.Join(", ", Names)}");

    /// <summary>
    /// Turns <see cref="ProgressMode.Auto"/> into <see cref="ProgressMode.Tty"/> or
    /// <see cref="ProgressMode.Plain"/>: tty only when stderr is a terminal that can move the cursor.
    /// Other modes are returned as given.
    /// </summary>
    public static ProgressMode Resolve(ProgressMode mode, bool errorIsTerminal, string? term)
    {
        if (mode != ProgressMode.Auto)
        {
            return mode;
        }
        return errorIsTerminal && !string.Equals(term, "dumb", StringComparison.Ordinal) ? ProgressMode.Tty : ProgressMode.Plain;
    }
}
