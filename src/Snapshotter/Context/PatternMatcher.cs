namespace Builder.Snapshotter.Context;

/// <summary>
/// Docker's .dockerignore / exclude pattern semantics: <c>*</c>, <c>?</c>, <c>[...]</c>, <c>**</c>,
/// <c>!</c> exceptions (the last matching pattern wins), a leading <c>/</c> and <c>.</c> cleaned away.
/// Paths are relative to the context root with '/' separators.
/// </summary>
public sealed class PatternMatcher
{
    public PatternMatcher(IEnumerable<string> patterns) => throw new NotImplementedException();

    /// <summary>True when some pattern starts with '!', so an excluded directory may still hold included files.</summary>
    public bool HasExceptions => throw new NotImplementedException();

    /// <summary>True when <paramref name="relativePath"/> or one of its parent directories is excluded.</summary>
    public bool Excludes(string relativePath) => throw new NotImplementedException();
}
