using System.Text;

namespace Builder.Frontend.Shell;

/// <summary>
/// One expansion of one word: a cursor over the source plus the variables seen so far.
/// A recursive-descent scanner; <c>${...}</c> words nest by recursion.
/// </summary>
internal sealed class WordExpansion
{
    private const int EndOfInput = -1;

    private readonly string _source;
    private readonly IShellEnvironment _env;
    private readonly char _escape;
    private readonly FieldSplitter? _fields;
    private readonly bool _heredoc;
    private readonly HashSet<string> _matched = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unmatched = new(StringComparer.Ordinal);
    private int _position;

    public WordExpansion(string source, IShellEnvironment env, char escape, bool splitFields, bool heredoc = false)
    {
        _heredoc = heredoc;
        _source = source;
        _env = env;
        _escape = escape;
        _fields = splitFields ? new FieldSplitter() : null;
    }

    /// <summary>Variables referenced and set.</summary>
    public IReadOnlySet<string> Matched => _matched;

    /// <summary>Variables referenced but not set.</summary>
    public IReadOnlySet<string> Unmatched => _unmatched;

    /// <summary>The fields of the word after <see cref="Run"/>, when splitting was asked for.</summary>
    public IReadOnlyList<string> Fields => _fields?.Finish() ?? [];

    /// <summary>Expands the whole source.</summary>
    /// <exception cref="ShellExpansionException">The word is malformed or a <c>?</c> modifier failed.</exception>
    public string Run()
    {
        try
        {
            var result = new StringBuilder(_source.Length);
            ScanUntil(EndOfInput, result, _fields, keepEscapes: false);
            return result.ToString();
        }
        catch (ExpansionError error)
        {
            throw new ShellExpansionException($"failed to process \"{_source}\": {error.Message}");
        }
    }

    /// <summary>
    /// Expands text up to <paramref name="stop"/> (consumed, not copied) or the end of input.
    /// <paramref name="keepEscapes"/> copies escape characters through, for glob patterns where they
    /// keep their meaning. Returns false when the input ended before <paramref name="stop"/>.
    /// </summary>
    private bool ScanUntil(int stop, StringBuilder result, FieldSplitter? fields, bool keepEscapes)
    {
        while (_position < _source.Length)
        {
            var c = Peek(out var width);
            if (stop != EndOfInput && c == stop)
            {
                _position += width;
                return true;
            }
            switch (c)
            {
                case '\'' or '"' when _heredoc:
                    // A heredoc body keeps its quotes: only $ and escapes mean something there.
                    break;
                case '$':
                {
                    var value = ExpandDollar();
                    result.Append(value);
                    fields?.AddSplittable(value);
                    continue;
                }
                case '\'':
                {
                    var quoted = SingleQuoted();
                    result.Append(quoted);
                    fields?.AddLiteral(quoted);
                    continue;
                }
                case '"':
                {
                    var quoted = DoubleQuoted(keepEscapes);
                    result.Append(quoted);
                    fields?.AddLiteral(quoted);
                    continue;
                }
            }

            var text = _source.AsSpan(_position, width);
            _position += width;
            if (c != _escape)
            {
                result.Append(text);
                fields?.AddSplittable(text);
                continue;
            }

            if (keepEscapes)
            {
                result.Append(_escape);
                fields?.AddLiteral(text);
            }
            else if (_heredoc && (_position >= _source.Length || (_source[_position] != '$' && _source[_position] != _escape)))
            {
                // As in a shell here-document, the escape only protects '$' and itself.
                result.Append(_escape);
                continue;
            }
            // An escape character at the very end of the word is dropped.
            if (_position >= _source.Length)
            {
                break;
            }
            Peek(out width);
            var escaped = _source.AsSpan(_position, width);
            _position += width;
            result.Append(escaped);
            fields?.AddLiteral(escaped);
        }
        return stop == EndOfInput;
    }

    /// <summary>'...': everything up to the next single quote is literal; nothing can escape it.</summary>
    private string SingleQuoted()
    {
        var start = _position + 1;
        var end = _source.IndexOf('\'', start);
        if (end < 0)
        {
            throw new ExpansionError("unexpected end of statement while looking for matching single-quote");
        }
        _position = end + 1;
        return _source[start..end];
    }

    /// <summary>
    /// "...": literal except for <c>$</c> expansions; the escape character only escapes <c>"</c>,
    /// <c>$</c> and itself, and stays literal before anything else.
    /// </summary>
    private string DoubleQuoted(bool keepEscapes)
    {
        _position++;
        var result = new StringBuilder();
        while (true)
        {
            if (_position >= _source.Length)
            {
                throw new ExpansionError("unexpected end of statement while looking for matching double-quote");
            }
            var c = Peek(out var width);
            if (c == '"')
            {
                _position++;
                return result.ToString();
            }
            if (c == '$')
            {
                result.Append(ExpandDollar());
                continue;
            }
            if (c == _escape)
            {
                _position++;
                if (keepEscapes)
                {
                    result.Append(_escape);
                }
                if (_position >= _source.Length)
                {
                    continue; // reported as the missing closing quote
                }
                var next = Peek(out width);
                if (next != '"' && next != '$' && next != _escape)
                {
                    // A literal escape character; in a pattern it must itself be escaped to stay literal.
                    result.Append(_escape);
                    continue;
                }
            }
            result.Append(_source, _position, width);
            _position += width;
        }
    }

    /// <summary>Expands <c>$name</c> or <c>${...}</c>; the cursor is on the '$'.</summary>
    private string ExpandDollar()
    {
        _position++;
        if (Peek(out _) != '{')
        {
            var bare = ReadName();
            // '$' not followed by a name (e.g. "$." or a trailing '$') stays literal.
            return bare.Length == 0 ? "$" : Lookup(bare).Value;
        }

        _position++;
        switch (Peek(out _))
        {
            case EndOfInput:
                throw new ExpansionError("syntax error: missing '}'");
            case '{' or '}' or ':':
                throw new ExpansionError("syntax error: bad substitution");
        }

        var name = ReadName();
        var op = Next();
        switch (op)
        {
            case EndOfInput:
                throw new ExpansionError("syntax error: missing '}'");
            case '}':
                return Lookup(name).Value;
            case ':':
            {
                var conditional = Next();
                if (conditional == EndOfInput)
                {
                    throw new ExpansionError("syntax error: missing '}'");
                }
                if (conditional is not ('-' or '+' or '?'))
                {
                    throw new ExpansionError($"unsupported modifier (:{char.ConvertFromUtf32(conditional)}) in substitution");
                }
                return ExpandConditional(name, (char)conditional, emptyIsUnset: true);
            }
            case '-' or '+' or '?':
                return ExpandConditional(name, (char)op, emptyIsUnset: false);
            case '#' or '%':
                return ExpandTrim(name, (char)op);
            case '/':
                return ExpandReplace(name);
            default:
                throw new ExpansionError($"unsupported modifier ({char.ConvertFromUtf32(op)}) in substitution");
        }
    }

    /// <summary><c>${V-w}</c>, <c>${V+w}</c>, <c>${V?msg}</c> and their ':' forms, which treat empty as unset.</summary>
    private string ExpandConditional(string name, char op, bool emptyIsUnset)
    {
        var word = ScanWord('}', keepEscapes: false, "syntax error: missing '}'");
        var (set, value) = Lookup(name);
        var present = set && !(emptyIsUnset && value.Length == 0);
        switch (op)
        {
            case '-':
                return present ? value : word;
            case '+':
                return present ? word : "";
            default:
                if (present)
                {
                    return value;
                }
                var message = word.Length > 0 ? word
                    : set ? "is not allowed to be empty"
                    : "is not allowed to be unset";
                throw new ExpansionError($"{name}: {message}");
        }
    }

    /// <summary><c>${V#p}</c>, <c>${V##p}</c>, <c>${V%p}</c>, <c>${V%%p}</c>: remove the shortest or longest matching prefix or suffix.</summary>
    private string ExpandTrim(string name, char op)
    {
        var longest = Peek(out _) == op;
        if (longest)
        {
            _position++;
        }
        var pattern = ShellPattern.Parse(ScanWord('}', keepEscapes: true, "syntax error: missing '}'"), _escape);
        var value = Lookup(name).Value;
        return op == '#' ? pattern.TrimPrefix(value, longest) : pattern.TrimSuffix(value, longest);
    }

    /// <summary><c>${V/p/r}</c> and <c>${V//p/r}</c>: replace the first or every longest match of p with r.</summary>
    private string ExpandReplace(string name)
    {
        var all = Peek(out _) == '/';
        if (all)
        {
            _position++;
        }
        var pattern = ShellPattern.Parse(ScanWord('/', keepEscapes: true, "syntax error: missing '/' in ${}"), _escape);
        // BuildKit keeps escape characters in the replacement text too.
        var replacement = ScanWord('}', keepEscapes: true, "syntax error: missing '}'");
        var value = Lookup(name).Value;
        return pattern.Replace(value, replacement, all);
    }

    private string ScanWord(char stop, bool keepEscapes, string missingStopMessage)
    {
        var word = new StringBuilder();
        if (!ScanUntil(stop, word, fields: null, keepEscapes))
        {
            throw new ExpansionError(missingStopMessage);
        }
        return word.ToString();
    }

    /// <summary>
    /// A variable name: letters, digits and '_'; or a run of digits (a positional parameter); or one
    /// special parameter character. Empty when none of these follows.
    /// </summary>
    private string ReadName()
    {
        var start = _position;
        var first = Peek(out var width);
        if (first == EndOfInput)
        {
            return "";
        }
        if (Rune.IsDigit(new Rune(first)))
        {
            while (_position < _source.Length && Rune.IsDigit(new Rune(Peek(out width))))
            {
                _position += width;
            }
            return _source[start.._position];
        }
        if (first is '@' or '*' or '#' or '?' or '-' or '$' or '!')
        {
            _position++;
            return _source[start.._position];
        }
        while (_position < _source.Length)
        {
            var rune = new Rune(Peek(out width));
            if (!Rune.IsLetter(rune) && !Rune.IsDigit(rune) && rune.Value != '_')
            {
                break;
            }
            _position += width;
        }
        return _source[start.._position];
    }

    private (bool Set, string Value) Lookup(string name)
    {
        if (_env.TryGet(name, out var value))
        {
            _matched.Add(name);
            return (true, value);
        }
        _unmatched.Add(name);
        return (false, "");
    }

    /// <summary>The code point at the cursor (U+FFFD for a lone surrogate), or <see cref="EndOfInput"/>.</summary>
    private int Peek(out int width)
    {
        if (_position >= _source.Length)
        {
            width = 0;
            return EndOfInput;
        }
        Rune.DecodeFromUtf16(_source.AsSpan(_position), out var rune, out width);
        return rune.Value;
    }

    private int Next()
    {
        var c = Peek(out var width);
        _position += width;
        return c;
    }

    /// <summary>A failure inside the scanner; <see cref="Run"/> turns it into a <see cref="ShellExpansionException"/> naming the word.</summary>
    private sealed class ExpansionError(string message) : Exception(message);
}
