namespace Builder.Snapshotter.Context;

/// <summary>
/// Docker's .dockerignore / exclude pattern semantics: <c>*</c>, <c>?</c>, <c>[...]</c>, <c>**</c>,
/// <c>!</c> exceptions (the last matching pattern wins), a leading <c>/</c> and <c>.</c> cleaned away.
/// Paths are relative to the context root with '/' separators.
/// </summary>
/// <remarks>
/// A pattern that matches a directory excludes everything below it; a later exception can still
/// re-include a path below it. Immutable and safe to share between threads.
/// </remarks>
public sealed class PatternMatcher
{
    private readonly IgnorePattern[] _patterns;

    /// <summary>
    /// Compiles <paramref name="patterns"/> in order. Each is trimmed (blank ones are skipped), a leading
    /// '!' makes it an exception, and the rest is cleaned like a path (<c>./a//b/</c> is <c>a/b</c>,
    /// <c>/a</c> is <c>a</c>).
    /// </summary>
    /// <exception cref="InvalidPatternException">A pattern is malformed, or is a lone '!'.</exception>
    public PatternMatcher(IEnumerable<string> patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        var compiled = new List<IgnorePattern>();
        foreach (var raw in patterns)
        {
            ArgumentNullException.ThrowIfNull(raw, nameof(patterns));
            var text = raw.Trim();
            if (text.Length == 0)
            {
                continue;
            }
            var isException = text[0] == '!';
            if (isException)
            {
                text = text[1..].TrimStart();
                if (text.Length == 0)
                {
                    throw new InvalidPatternException("illegal exclusion pattern: \"!\"", raw);
                }
            }
            compiled.Add(IgnorePattern.Compile(CleanPattern(text), isException));
        }
        _patterns = [.. compiled];
        HasExceptions = _patterns.Any(p => p.IsException);
    }

    /// <summary>The compiled patterns, in order.</summary>
    public IReadOnlyList<IgnorePattern> Patterns => _patterns;

    /// <summary>True when some pattern starts with '!', so an excluded directory may still hold included files.</summary>
    public bool HasExceptions { get; }

    /// <summary>True when <paramref name="relativePath"/> or one of its parent directories is excluded.</summary>
    /// <remarks>The context root itself (<c>.</c> or an empty path) is never excluded.</remarks>
    public bool Excludes(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var path = SlashPath.Clean(relativePath);
        if (path.StartsWith('/'))
        {
            path = path.Length == 1 ? "." : path[1..];
        }
        if (path == ".")
        {
            return false;
        }

        // The last pattern that matches decides; so an inclusion only needs testing while not yet
        // excluded, and an exception only while excluded.
        var excluded = false;
        foreach (var pattern in _patterns)
        {
            if (pattern.IsException != excluded)
            {
                continue;
            }
            if (MatchesPathOrParent(pattern, path))
            {
                excluded = !pattern.IsException;
            }
        }
        return excluded;
    }

    /// <summary>
    /// True when an exception pattern might re-include something below <paramref name="relativeDirectory"/>,
    /// so an excluded directory must still be walked. False means every path below an excluded directory
    /// is excluded too, and the walk can skip it.
    /// </summary>
    public bool MayReincludeBelow(string relativeDirectory)
    {
        ArgumentNullException.ThrowIfNull(relativeDirectory);
        if (!HasExceptions)
        {
            return false;
        }
        var directory = SlashPath.Clean(relativeDirectory).TrimStart('/');
        foreach (var pattern in _patterns)
        {
            if (pattern.IsException && (directory is "." or "" || pattern.MayMatchBelow(directory)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool MatchesPathOrParent(IgnorePattern pattern, string path)
    {
        if (pattern.Matches(path))
        {
            return true;
        }
        for (var slash = path.IndexOf('/'); slash >= 0; slash = path.IndexOf('/', slash + 1))
        {
            if (pattern.Matches(path[..slash]))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Cleans a pattern like a path and drops a leading '/': patterns are relative to the context.</summary>
    internal static string CleanPattern(string pattern)
    {
        var cleaned = SlashPath.Clean(pattern);
        return cleaned.Length > 1 && cleaned[0] == '/' ? cleaned[1..] : cleaned;
    }
}
