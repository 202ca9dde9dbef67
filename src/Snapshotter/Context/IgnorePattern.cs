using System.Text;

namespace Builder.Snapshotter.Context;

/// <summary>
/// One compiled exclude pattern with Docker's semantics (moby/patternmatcher), matched against a whole
/// '/'-separated relative path: <c>*</c> is any run of characters but '/', <c>?</c> one character but
/// '/', <c>[a-z]</c>/<c>[^a-z]</c> one character of a set (Go's filepath.Match syntax), <c>**</c> any
/// number of directories (<c>**/</c> and a middle <c>**</c> match zero or more whole directories, a final
/// <c>**</c> anything), and <c>\</c> escapes the next character.
/// </summary>
public sealed class IgnorePattern
{
    private readonly Token[] _tokens;

    // Docker treats a pattern that is "**" followed only by literal text as a plain suffix test,
    // so "**foo" matches "barfoo" and "**/foo" matches "foo" and "a/foo". Null otherwise.
    private readonly string? _literalSuffix;

    private IgnorePattern(string text, bool isException, Token[] tokens, string? literalSuffix)
    {
        Text = text;
        IsException = isException;
        _tokens = tokens;
        _literalSuffix = literalSuffix;
    }

    /// <summary>The cleaned pattern, without the leading '!' of an exception.</summary>
    public string Text { get; }

    /// <summary>True for a '!' pattern, which re-includes what earlier patterns excluded.</summary>
    public bool IsException { get; }

    /// <summary>Compiles <paramref name="text"/>, an already cleaned pattern without its '!'.</summary>
    /// <exception cref="InvalidPatternException">The pattern is malformed (e.g. an unterminated '[').</exception>
    public static IgnorePattern Compile(string text, bool isException)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Tokenize(text, out var reason);
        if (tokens is null)
        {
            throw new InvalidPatternException($"invalid pattern \"{text}\": {reason}", text);
        }
        string? literalSuffix = null;
        if (text.StartsWith("**", StringComparison.Ordinal) && text.AsSpan(2).IndexOfAny("*?\\[]") < 0)
        {
            literalSuffix = text[2..];
        }
        return new IgnorePattern(text, isException, tokens, literalSuffix);
    }

    /// <summary>True when the pattern matches <paramref name="path"/> itself (no parent-directory rule).</summary>
    public bool Matches(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_literalSuffix is not null)
        {
            return path.EndsWith(_literalSuffix, StringComparison.Ordinal)
                || (_literalSuffix.StartsWith('/') && path.AsSpan().SequenceEqual(_literalSuffix.AsSpan(1)));
        }
        return Match(0, path, 0, prefixOnly: false);
    }

    /// <summary>
    /// True when some path inside <paramref name="directory"/> (some "directory/...") might match. Never
    /// false for a path that does match; it may be true when none does.
    /// </summary>
    public bool MayMatchBelow(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (_literalSuffix is not null)
        {
            return true;
        }
        return Match(0, directory + "/", 0, prefixOnly: true);
    }

    public override string ToString() => IsException ? "!" + Text : Text;

    /// <summary>
    /// Backtracking matcher. With <paramref name="prefixOnly"/>, running out of input counts as a match:
    /// every remaining token can still be satisfied by characters that follow.
    /// Backtracking is bounded: '*' never crosses '/', and '**' only restarts after a '/'.
    /// </summary>
    private bool Match(int t, string path, int position, bool prefixOnly)
    {
        while (true)
        {
            if (prefixOnly && position == path.Length)
            {
                return true;
            }
            if (t == _tokens.Length)
            {
                return position == path.Length;
            }
            var token = _tokens[t];
            switch (token.Kind)
            {
                case TokenKind.Literal:
                {
                    var rest = path.AsSpan(position);
                    if (!rest.StartsWith(token.Text, StringComparison.Ordinal))
                    {
                        return prefixOnly && token.Text.AsSpan().StartsWith(rest, StringComparison.Ordinal);
                    }
                    position += token.Text!.Length;
                    break;
                }
                case TokenKind.AnyOne:
                {
                    if (position == path.Length || path[position] == '/')
                    {
                        return false;
                    }
                    position += RuneWidth(path, position);
                    break;
                }
                case TokenKind.Set:
                {
                    if (position == path.Length)
                    {
                        return false;
                    }
                    Rune.DecodeFromUtf16(path.AsSpan(position), out var rune, out var width);
                    if (!token.Accepts(rune.Value))
                    {
                        return false;
                    }
                    position += width;
                    break;
                }
                case TokenKind.Star:
                {
                    for (var p = position; ; p += RuneWidth(path, p))
                    {
                        if (Match(t + 1, path, p, prefixOnly))
                        {
                            return true;
                        }
                        if (p == path.Length || path[p] == '/')
                        {
                            return false;
                        }
                    }
                }
                case TokenKind.AnyDirectories:
                {
                    // Zero directories, or anything up to and including some later '/'.
                    if (Match(t + 1, path, position, prefixOnly))
                    {
                        return true;
                    }
                    for (var slash = path.IndexOf('/', position); slash >= 0; slash = path.IndexOf('/', slash + 1))
                    {
                        if (Match(t + 1, path, slash + 1, prefixOnly))
                        {
                            return true;
                        }
                    }
                    return false;
                }
                case TokenKind.AnyRest:
                    return true;
            }
            t++;
        }
    }

    private static int RuneWidth(string text, int index)
        => char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;

    /// <summary>Splits a pattern into tokens; null with a reason when it is malformed (Go's filepath.Match rules).</summary>
    private static Token[]? Tokenize(string pattern, out string reason)
    {
        reason = "";
        var tokens = new List<Token>();
        var literal = new StringBuilder();
        void FlushLiteral()
        {
            if (literal.Length > 0)
            {
                tokens.Add(Token.Literal(literal.ToString()));
                literal.Clear();
            }
        }

        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    FlushLiteral();
                    i += 2;
                    if (i < pattern.Length && pattern[i] == '/')
                    {
                        i++; // "**/" is "**"
                    }
                    tokens.Add(i == pattern.Length ? Token.AnyRest : Token.AnyDirectories);
                    continue;
                case '*':
                    FlushLiteral();
                    tokens.Add(Token.Star);
                    i++;
                    continue;
                case '?':
                    FlushLiteral();
                    tokens.Add(Token.AnyOne);
                    i++;
                    continue;
                case '\\':
                    if (i + 1 == pattern.Length)
                    {
                        reason = "trailing escape character";
                        return null;
                    }
                    i++;
                    literal.Append(pattern, i, RuneWidth(pattern, i));
                    i += RuneWidth(pattern, i);
                    continue;
                case '[':
                {
                    FlushLiteral();
                    var set = ParseSet(pattern, ref i, out reason);
                    if (set is null)
                    {
                        return null;
                    }
                    tokens.Add(set.Value);
                    continue;
                }
                default:
                    literal.Append(c);
                    i++;
                    continue;
            }
        }
        FlushLiteral();
        return [.. tokens];
    }

    /// <summary>Parses "[...]" at <paramref name="i"/> (on the '['), leaving <paramref name="i"/> after the ']'.</summary>
    private static Token? ParseSet(string pattern, ref int i, out string reason)
    {
        reason = "";
        i++;
        var negated = i < pattern.Length && pattern[i] == '^';
        if (negated)
        {
            i++;
        }
        var ranges = new List<(int Low, int High)>();
        while (true)
        {
            if (i < pattern.Length && pattern[i] == ']' && ranges.Count > 0)
            {
                i++;
                return Token.Set([.. ranges], negated);
            }
            if (!TryReadSetChar(pattern, ref i, out var low, out reason))
            {
                return null;
            }
            var high = low;
            if (pattern[i] == '-')
            {
                i++;
                if (!TryReadSetChar(pattern, ref i, out high, out reason))
                {
                    return null;
                }
            }
            ranges.Add((low, high));
        }
    }

    /// <summary>One (possibly escaped) character of a set; '-' and ']' must be escaped; the set must go on after it.</summary>
    private static bool TryReadSetChar(string pattern, ref int i, out int code, out string reason)
    {
        code = 0;
        reason = "unterminated character class";
        if (i >= pattern.Length)
        {
            return false;
        }
        if (pattern[i] is '-' or ']')
        {
            reason = $"unescaped '{pattern[i]}' in character class";
            return false;
        }
        if (pattern[i] == '\\' && ++i >= pattern.Length)
        {
            return false;
        }
        Rune.DecodeFromUtf16(pattern.AsSpan(i), out var rune, out var width);
        code = rune.Value;
        i += width;
        return i < pattern.Length;
    }

    private enum TokenKind
    {
        Literal,
        AnyOne,
        Set,
        Star,
        AnyDirectories,
        AnyRest,
    }

    private readonly record struct Token(TokenKind Kind, string? Text, (int Low, int High)[]? Ranges, bool Negated)
    {
        public static Token Star => new(TokenKind.Star, null, null, false);

        public static Token AnyOne => new(TokenKind.AnyOne, null, null, false);

        public static Token AnyDirectories => new(TokenKind.AnyDirectories, null, null, false);

        public static Token AnyRest => new(TokenKind.AnyRest, null, null, false);

        public static Token Literal(string text) => new(TokenKind.Literal, text, null, false);

        public static Token Set((int Low, int High)[] ranges, bool negated) => new(TokenKind.Set, null, ranges, negated);

        public bool Accepts(int code)
        {
            foreach (var (low, high) in Ranges!)
            {
                if (code >= low && code <= high)
                {
                    return !Negated;
                }
            }
            return Negated;
        }
    }
}
