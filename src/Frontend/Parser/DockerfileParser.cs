namespace Builder.Frontend.Parser;

/// <summary>
/// Parses Dockerfile text into a <see cref="DockerfileAst"/>: directives, comments,
/// continuations, heredocs, JSON versus shell form and flags. No variable expansion happens here.
/// BuildKit's parser is the reference for every rule; its conformance vectors must dump identically.
/// </summary>
public static class DockerfileParser
{
    /// <summary>
    /// Parses a whole Dockerfile, reading <paramref name="reader"/> line by line (a single very long
    /// line costs memory proportional to its length, nothing more). Throws
    /// <see cref="DockerfileException"/> with the offending line span on malformed input.
    /// </summary>
    public static DockerfileAst Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new ParserSession(reader).Run();
    }

    /// <summary>Parses Dockerfile text.</summary>
    public static DockerfileAst Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(new StringReader(text));
    }
}
