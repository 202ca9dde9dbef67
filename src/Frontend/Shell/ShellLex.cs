namespace Builder.Frontend.Shell;

/// <summary>Variables visible to word expansion.</summary>
public interface IShellEnvironment
{
    /// <summary>Looks a variable up; a set-but-empty variable returns true with "".</summary>
    bool TryGet(string name, out string value);
}

/// <summary>The result of expanding one word.</summary>
/// <param name="Result">The expanded text.</param>
/// <param name="Matched">Names of variables that were referenced and set.</param>
/// <param name="Unmatched">Names of variables that were referenced but not set.</param>
public sealed record ShellWordResult(string Result, IReadOnlySet<string> Matched, IReadOnlySet<string> Unmatched);

/// <summary>Thrown when a word cannot be expanded, e.g. <c>${V:?msg}</c> with V unset or a bad substitution.</summary>
public sealed class ShellExpansionException(string message) : Exception(message);

/// <summary>
/// Dockerfile word expansion with BuildKit's rules: <c>$V</c>, <c>${V}</c> and the
/// <c>:-</c>, <c>-</c>, <c>:+</c>, <c>+</c>, <c>:?</c>, <c>?</c>, <c>#</c>, <c>##</c>, <c>%</c>, <c>%%</c>,
/// <c>/</c>, <c>//</c> modifiers, quotes and the escape character.
/// </summary>
public sealed class ShellLex
{
    public ShellLex(char escapeToken = '\\')
    {
        if (escapeToken is not ('\\' or '`'))
        {
            throw new ArgumentException("The escape token must be '\\' or '`'.", nameof(escapeToken));
        }
        EscapeToken = escapeToken;
    }

    /// <summary>The escape character, <c>\</c> or <c>`</c>.</summary>
    public char EscapeToken { get; }

    /// <summary>Expands <paramref name="word"/> as a single word: quotes are removed, no splitting.</summary>
    public ShellWordResult ProcessWord(string word, IShellEnvironment env) => throw new NotImplementedException();

    /// <summary>Expands <paramref name="word"/> and splits it into words as a shell would (quotes keep spaces).</summary>
    public IReadOnlyList<string> ProcessWords(string word, IShellEnvironment env) => throw new NotImplementedException();
}
