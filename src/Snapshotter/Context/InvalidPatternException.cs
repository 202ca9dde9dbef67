namespace Builder.Snapshotter.Context;

/// <summary>An exclude pattern (.dockerignore line, COPY --exclude) that is not a valid pattern.</summary>
public sealed class InvalidPatternException : FormatException
{
    public InvalidPatternException(string message, string pattern, int? lineNumber = null)
        : base(message)
    {
        Pattern = pattern;
        LineNumber = lineNumber;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>The 1-based line of the ignore file holding the pattern, when it came from one.</summary>
    public int? LineNumber { get; }
}
