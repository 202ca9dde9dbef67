using System.Text;

namespace Builder.Frontend.Shell;

/// <summary>
/// A shell glob as used by the <c>#</c>, <c>%</c> and <c>/</c> modifiers: <c>*</c> matches any run of
/// characters, <c>?</c> one character, <c>[abc]</c>, <c>[a-z]</c> and <c>[!a]</c>/<c>[^a]</c> one character
/// of a set; the escape character makes the next character literal. A '[' without a closing ']' is
/// literal. Characters are Unicode code points, not UTF-16 units.
/// </summary>
internal sealed class ShellPattern
{
    private readonly Token[] _tokens;

    private ShellPattern(Token[] tokens) => _tokens = tokens;

    public static ShellPattern Parse(string pattern, char escape)
    {
        var runes = Runes.Of(pattern);
        var tokens = new List<Token>();
        for (var i = 0; i < runes.Count; i++)
        {
            var c = runes.Code(i);
            if (c == escape)
            {
                // A trailing escape character stands for itself.
                tokens.Add(Token.Literal(i + 1 < runes.Count ? runes.Code(++i) : c));
            }
            else if (c == '*')
            {
                // Consecutive stars match what one star matches.
                if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Star)
                {
                    tokens.Add(Token.Star);
                }
            }
            else if (c == '?')
            {
                tokens.Add(Token.AnyOne);
            }
            else if (c == '[' && TryParseClass(runes, i, escape, out var set, out var end))
            {
                tokens.Add(set);
                i = end;
            }
            else
            {
                tokens.Add(Token.Literal(c));
            }
        }
        return new ShellPattern([.. tokens]);
    }

    /// <summary>Removes the shortest (or longest) prefix of <paramref name="value"/> the pattern matches.</summary>
    public string TrimPrefix(string value, bool longest)
    {
        var runes = Runes.Of(value);
        var n = runes.Count;
        for (var k = 0; k <= n; k++)
        {
            var length = longest ? n - k : k;
            if (Matches(runes, 0, length))
            {
                return value[runes.Offset(length)..];
            }
        }
        return value;
    }

    /// <summary>Removes the shortest (or longest) suffix of <paramref name="value"/> the pattern matches.</summary>
    public string TrimSuffix(string value, bool longest)
    {
        var runes = Runes.Of(value);
        var n = runes.Count;
        for (var k = 0; k <= n; k++)
        {
            var start = longest ? k : n - k;
            if (Matches(runes, start, n))
            {
                return value[..runes.Offset(start)];
            }
        }
        return value;
    }

    /// <summary>
    /// Replaces the leftmost longest match (or every non-overlapping one) with <paramref name="replacement"/>.
    /// An empty match right after a previous match is skipped, as in Go's regexp ReplaceAll.
    /// </summary>
    public string Replace(string value, string replacement, bool all)
    {
        var runes = Runes.Of(value);
        var n = runes.Count;
        var result = new StringBuilder(value.Length);
        var previousEnd = -1;
        var position = 0;
        while (position <= n)
        {
            var end = LongestMatchFrom(runes, position);
            if (end >= 0 && !(end == position && position == previousEnd))
            {
                result.Append(replacement);
                previousEnd = end;
                if (!all)
                {
                    return result.Append(value, runes.Offset(end), value.Length - runes.Offset(end)).ToString();
                }
                if (end > position)
                {
                    position = end;
                    continue;
                }
            }
            if (position == n)
            {
                break;
            }
            result.Append(value, runes.Offset(position), runes.Offset(position + 1) - runes.Offset(position));
            position++;
        }
        return result.ToString();
    }

    /// <summary>True when the pattern matches the whole of <paramref name="value"/>.</summary>
    public bool IsMatch(string value)
    {
        var runes = Runes.Of(value);
        return Matches(runes, 0, runes.Count);
    }

    private int LongestMatchFrom(Runes runes, int start)
    {
        for (var end = runes.Count; end >= start; end--)
        {
            if (Matches(runes, start, end))
            {
                return end;
            }
        }
        return -1;
    }

    /// <summary>
    /// Whole-range match of runes [start, end). Classic star backtracking: on a mismatch, let the most
    /// recent star absorb one more character; earlier stars never need revisiting.
    /// </summary>
    private bool Matches(Runes runes, int start, int end)
    {
        int t = 0, i = start;
        int starToken = -1, starPosition = -1;
        while (i < end)
        {
            if (t < _tokens.Length)
            {
                var token = _tokens[t];
                if (token.Kind == TokenKind.Star)
                {
                    starToken = t++;
                    starPosition = i;
                    continue;
                }
                if (token.Accepts(runes.Code(i)))
                {
                    t++;
                    i++;
                    continue;
                }
            }
            if (starToken < 0)
            {
                return false;
            }
            t = starToken + 1;
            i = ++starPosition;
        }
        while (t < _tokens.Length && _tokens[t].Kind == TokenKind.Star)
        {
            t++;
        }
        return t == _tokens.Length;
    }

    /// <summary>Parses "[...]" starting at <paramref name="open"/>; false when there is no closing ']'.</summary>
    private static bool TryParseClass(Runes runes, int open, char escape, out Token token, out int close)
    {
        var i = open + 1;
        var negated = i < runes.Count && runes.Code(i) is '!' or '^';
        if (negated)
        {
            i++;
        }
        var ranges = new List<(int Low, int High)>();
        var first = true;
        while (i < runes.Count)
        {
            var c = runes.Code(i);
            if (c == ']' && !first)
            {
                token = Token.Set([.. ranges], negated);
                close = i;
                return true;
            }
            first = false;
            if (c == escape && i + 1 < runes.Count)
            {
                c = runes.Code(++i);
            }
            var low = c;
            var high = c;
            // "a-z" is a range; a '-' first or last in the set is literal.
            if (i + 2 < runes.Count && runes.Code(i + 1) == '-' && runes.Code(i + 2) != ']')
            {
                i += 2;
                high = runes.Code(i);
                if (high == escape && i + 1 < runes.Count)
                {
                    high = runes.Code(++i);
                }
            }
            ranges.Add((low, high));
            i++;
        }
        token = default;
        close = -1;
        return false;
    }

    private enum TokenKind
    {
        Literal,
        AnyOne,
        Star,
        Set,
    }

    private readonly record struct Token(TokenKind Kind, int Code, (int Low, int High)[]? Ranges, bool Negated)
    {
        public static Token Star => new(TokenKind.Star, 0, null, false);

        public static Token AnyOne => new(TokenKind.AnyOne, 0, null, false);

        public static Token Literal(int code) => new(TokenKind.Literal, code, null, false);

        public static Token Set((int Low, int High)[] ranges, bool negated) => new(TokenKind.Set, 0, ranges, negated);

        public bool Accepts(int code) => Kind switch
        {
            TokenKind.Literal => code == Code,
            TokenKind.AnyOne => true,
            TokenKind.Set => Ranges!.Any(r => code >= r.Low && code <= r.High) != Negated,
            _ => false,
        };
    }

    /// <summary>A string's code points with their UTF-16 offsets, so rune indexes map back to substrings.</summary>
    private sealed class Runes
    {
        private readonly List<int> _codes = [];
        private readonly List<int> _offsets = [];

        public static Runes Of(string text)
        {
            var runes = new Runes();
            var offset = 0;
            while (offset < text.Length)
            {
                Rune.DecodeFromUtf16(text.AsSpan(offset), out var rune, out var width);
                runes._codes.Add(rune.Value);
                runes._offsets.Add(offset);
                offset += width;
            }
            runes._offsets.Add(offset);
            return runes;
        }

        public int Count => _codes.Count;

        public int Code(int index) => _codes[index];

        /// <summary>The UTF-16 offset of rune <paramref name="index"/>; <see cref="Count"/> gives the string's length.</summary>
        public int Offset(int index) => _offsets[index];
    }
}
