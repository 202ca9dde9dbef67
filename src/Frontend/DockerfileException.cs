namespace Builder.Frontend;

/// <summary>
/// A problem in a Dockerfile that the user must fix. Carries the 1-based line span it
/// refers to so the CLI can print <c>Dockerfile:LINE: cause</c> and the offending lines.
/// Line 0 means the error is not tied to a line (an empty file, a bad --target).
/// </summary>
public sealed class DockerfileException : Exception
{
    public DockerfileException(string message, int startLine = 0, int endLine = 0, Exception? inner = null)
        : base(message, inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startLine);
        StartLine = startLine;
        EndLine = Math.Max(startLine, endLine);
    }

    /// <summary>First line (1-based) the error refers to, or 0.</summary>
    public int StartLine { get; }

    /// <summary>Last line (1-based) the error refers to, or 0.</summary>
    public int EndLine { get; }
}

/// <summary>A non-fatal finding (BuildKit calls these lint warnings), e.g. an empty continuation line.</summary>
/// <param name="Rule">A stable rule name such as <c>NoEmptyContinuation</c>.</param>
/// <param name="Message">One sentence for the user.</param>
/// <param name="StartLine">1-based first line, or 0 when not tied to a line.</param>
/// <param name="EndLine">1-based last line.</param>
public sealed record DockerfileWarning(string Rule, string Message, int StartLine, int EndLine);
