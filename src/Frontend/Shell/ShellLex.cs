namespace Builder.Frontend.Shell;

/// <summary>
/// Dockerfile word expansion with BuildKit's rules: <c>$V</c>, <c>${V}</c> and the
/// <c>:-</c>, <c>-</c>, <c>:+</c>, <c>+</c>, <c>:?</c>, <c>?</c>, <c>#</c>, <c>##</c>, <c>%</c>, <c>%%</c>,
/// <c>/</c>, <c>//</c> modifiers, quotes and the escape character.
/// </summary>
/// <remarks>
/// Instances hold no per-word state and may be shared between threads.
/// Patterns of <c>#</c>, <c>%</c> and <c>/</c> are shell globs (<c>*</c>, <c>?</c>, <c>[...]</c>) in which
/// the escape character makes the next character literal.
/// </remarks>
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
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>?</c> modifier rejected a variable.</exception>
    public ShellWordResult ProcessWord(string word, IShellEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(env);
        var expansion = new WordExpansion(word, env, EscapeToken, splitFields: false);
        var text = expansion.Run();
        return new ShellWordResult(text, expansion.Matched, expansion.Unmatched);
    }

    /// <summary>
    /// Expands a heredoc body as a shell expands an unquoted here-document: variables are
    /// substituted, quotes stay as written, and the escape character protects only '$' and itself.
    /// </summary>
    /// <exception cref="ShellExpansionException">A substitution is malformed or a <c>?</c> modifier rejected a variable.</exception>
    public ShellWordResult ProcessHeredoc(string body, IShellEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(env);
        var expansion = new WordExpansion(body, env, EscapeToken, splitFields: false, heredoc: true);
        var text = expansion.Run();
        return new ShellWordResult(text, expansion.Matched, expansion.Unmatched);
    }

    /// <summary>Expands <paramref name="word"/> and splits it into words as a shell would (quotes keep spaces).</summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>?</c> modifier rejected a variable.</exception>
    public IReadOnlyList<string> ProcessWords(string word, IShellEnvironment env) => ExpandWords(word, env).Words;

    /// <summary>Like <see cref="ProcessWords"/>, also reporting which variables were referenced.</summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>?</c> modifier rejected a variable.</exception>
    public ShellWordsResult ExpandWords(string word, IShellEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(env);
        var expansion = new WordExpansion(word, env, EscapeToken, splitFields: true);
        expansion.Run();
        return new ShellWordsResult(expansion.Fields, expansion.Matched, expansion.Unmatched);
    }
}
