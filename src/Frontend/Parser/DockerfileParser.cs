namespace Builder.Frontend.Parser;

/// <summary>
/// Parses Dockerfile text into a <see cref="DockerfileAst"/>: directives, comments,
/// continuations, heredocs, JSON versus shell form and flags. No variable expansion happens here.
/// </summary>
public static class DockerfileParser
{
    /// <summary>Parses a whole Dockerfile. Throws <see cref="DockerfileException"/> on malformed input.</summary>
    public static DockerfileAst Parse(TextReader reader) => throw new NotImplementedException();

    /// <summary>Parses Dockerfile text.</summary>
    public static DockerfileAst Parse(string text) => Parse(new StringReader(text));
}
