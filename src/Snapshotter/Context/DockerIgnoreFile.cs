namespace Builder.Snapshotter.Context;

/// <summary>Reads a .dockerignore file into exclude patterns, with Docker's rules.</summary>
public static class DockerIgnoreFile
{
    /// <summary>
    /// Returns the patterns of an ignore file, in order: lines starting with '#' are comments, blank lines
    /// are skipped, surrounding whitespace is trimmed, and each pattern is cleaned like a path (a leading
    /// '/' removed, <c>a/./b/../c</c> becoming <c>a/c</c>); an exception keeps its leading '!'.
    /// </summary>
    /// <exception cref="InvalidPatternException">A line holds a malformed pattern; the message names the line.</exception>
    public static IReadOnlyList<string> Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var patterns = new List<string>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (lineNumber == 1)
            {
                line = line.TrimStart('\uFEFF'); // a UTF-8 byte order mark the reader did not strip
            }
            // Only a '#' in the first column starts a comment, as in Docker.
            if (line.StartsWith('#'))
            {
                continue;
            }
            var text = line.Trim();
            if (text.Length == 0)
            {
                continue;
            }
            var isException = text[0] == '!';
            if (isException)
            {
                text = text[1..].Trim();
                if (text.Length == 0)
                {
                    throw new InvalidPatternException(
                        $".dockerignore line {lineNumber}: illegal exclusion pattern \"!\"", line, lineNumber);
                }
            }
            var cleaned = PatternMatcher.CleanPattern(text);
            try
            {
                IgnorePattern.Compile(cleaned, isException);
            }
            catch (InvalidPatternException error)
            {
                throw new InvalidPatternException($".dockerignore line {lineNumber}: {error.Message}", line, lineNumber);
            }
            patterns.Add(isException ? "!" + cleaned : cleaned);
        }
        return patterns;
    }
}
