using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>
/// The slice of shell word splitting that heredoc detection needs, with BuildKit's settings for
/// it: escape character always <c>\</c>, no variables set and unset ones left as written
/// (<c>$X</c>, <c>${X:-y}</c> stay literal), optionally keeping quotes and escapes in the words,
/// and <c>&lt;&lt;</c> glued to the blanks after it so <c>&lt;&lt;  EOF</c> is one word.
/// A syntax error (unterminated quote, bad <c>${</c>) yields null. <c>${…}</c> nesting is limited,
/// so hostile input cannot exhaust the stack; past the limit the text counts as a syntax error.
/// </summary>
internal sealed class HeredocWordLexer
{
    private const int End = -1;
    private const char Escape = '\\';
    private const int MaxNesting = 64;

    private readonly string _text;
    private readonly bool _rawQuotes;
    private bool _rawEscapes;
    private int _pos;
    private int _nesting;

    private HeredocWordLexer(string text, bool rawQuotes, bool rawEscapes)
    {
        _text = text;
        _rawQuotes = rawQuotes;
        _rawEscapes = rawEscapes;
    }

    /// <summary>Splits <paramref name="text"/> into shell words; null when it is not well formed.</summary>
    public static List<string>? Split(string text, bool rawQuotes, bool rawEscapes)
    {
        var lexer = new HeredocWordLexer(text, rawQuotes, rawEscapes);
        var words = new WordCollector();
        return lexer.ProcessUntil(End, rawEscapes, words) is null ? null : words.Finish();
    }

    private int Peek() => _pos < _text.Length ? _text[_pos] : End;

    private int Next() => _pos < _text.Length ? _text[_pos++] : End;

    /// <summary>Processes up to <paramref name="stop"/> (consumed) or the end; returns the processed text.</summary>
    private string? ProcessUntil(int stop, bool rawEscapes, WordCollector? words)
    {
        var saved = _rawEscapes;
        _rawEscapes = rawEscapes;
        try
        {
            var result = new StringBuilder();
            while (Peek() != End)
            {
                var ch = Peek();
                if (stop != End && ch == stop)
                {
                    Next();
                    return result.ToString();
                }
                if (ch is '$' or '\'' or '"')
                {
                    var part = ch switch
                    {
                        '$' => ProcessDollar(),
                        '\'' => ProcessSingleQuote(),
                        _ => ProcessDoubleQuote(),
                    };
                    if (part is null)
                    {
                        return null;
                    }
                    result.Append(part);
                    if (ch == '$')
                    {
                        words?.AddText(part); // expansion results are split on white space
                    }
                    else
                    {
                        words?.AddRaw(part);
                    }
                    continue;
                }
                if (ch == '<')
                {
                    // "<<" keeps the blanks after it, so "<<  EOF" stays one word.
                    var redirect = ProcessPossibleHeredoc();
                    result.Append(redirect);
                    words?.AddRaw(redirect);
                    continue;
                }
                ch = Next();
                if (ch == Escape)
                {
                    if (_rawEscapes)
                    {
                        words?.AddRaw((char)ch);
                        result.Append((char)ch);
                    }
                    ch = Next();
                    if (ch == End)
                    {
                        break;
                    }
                    words?.AddRaw((char)ch);
                }
                else
                {
                    words?.AddChar((char)ch);
                }
                result.Append((char)ch);
            }
            return stop == End ? result.ToString() : null;
        }
        finally
        {
            _rawEscapes = saved;
        }
    }

    private string ProcessPossibleHeredoc()
    {
        Next();
        if (Peek() != '<')
        {
            return "<";
        }
        Next();
        var start = _pos;
        while (Peek() is ' ' or '\t')
        {
            Next();
        }
        return "<<" + _text[start.._pos];
    }

    private string? ProcessSingleQuote()
    {
        var result = new StringBuilder();
        Next();
        if (_rawQuotes)
        {
            result.Append('\'');
        }
        while (true)
        {
            var ch = Next();
            if (ch == End)
            {
                return null;
            }
            if (ch == '\'')
            {
                if (_rawQuotes)
                {
                    result.Append('\'');
                }
                return result.ToString();
            }
            result.Append((char)ch);
        }
    }

    private string? ProcessDoubleQuote()
    {
        var result = new StringBuilder();
        Next();
        if (_rawQuotes)
        {
            result.Append('"');
        }
        while (true)
        {
            switch (Peek())
            {
                case End:
                    return null;
                case '"':
                    Next();
                    if (_rawQuotes)
                    {
                        result.Append('"');
                    }
                    return result.ToString();
                case '$':
                    var value = ProcessDollar();
                    if (value is null)
                    {
                        return null;
                    }
                    result.Append(value);
                    continue;
            }
            var ch = Next();
            if (ch == Escape)
            {
                if (_rawEscapes)
                {
                    result.Append(Escape);
                }
                var next = Peek();
                if (next == End)
                {
                    continue;
                }
                if (next is '"' or '$' or Escape)
                {
                    ch = Next();
                }
            }
            result.Append((char)ch);
        }
    }

    /// <summary>A <c>$</c> reference. Nothing is set, so it comes back as written (or null on a syntax error).</summary>
    private string? ProcessDollar()
    {
        if (++_nesting > MaxNesting)
        {
            return null;
        }
        try
        {
            Next();
            if (Peek() != '{')
            {
                var plain = ProcessName();
                return plain.Length == 0 ? "$" : "$" + plain;
            }
            Next();
            if (Peek() is End or '{' or '}' or ':')
            {
                return null;
            }
            var name = ProcessName();
            var ch = Next();
            switch (ch)
            {
                case '}':
                    return "${" + name + "}";
                case ':':
                case '+':
                case '-':
                case '?':
                case '#':
                case '%':
                    var modifier = ((char)ch).ToString();
                    if (ch == ':')
                    {
                        ch = Next();
                        if (ch == End)
                        {
                            return null;
                        }
                        modifier += (char)ch;
                    }
                    var word = ProcessUntil('}', ch is '#' or '%', words: null);
                    return word is null ? null : "${" + name + modifier + word + "}";
                case '/':
                    if (Peek() == '/')
                    {
                        Next();
                    }
                    var pattern = ProcessUntil('/', true, words: null);
                    if (pattern is null)
                    {
                        return null;
                    }
                    var replacement = ProcessUntil('}', true, words: null);
                    return replacement is null ? null : "${" + name + "/" + pattern + "/" + replacement + "}";
                default:
                    return null;
            }
        }
        finally
        {
            _nesting--;
        }
    }

    /// <summary>A variable name: digits, one special parameter character, or letters, digits and '_'.</summary>
    private string ProcessName()
    {
        var name = new StringBuilder();
        while (Peek() != End)
        {
            var ch = (char)Peek();
            if (name.Length == 0 && char.IsDigit(ch))
            {
                while (Peek() != End && char.IsDigit((char)Peek()))
                {
                    name.Append((char)Next());
                }
                return name.ToString();
            }
            if (name.Length == 0 && ch is '@' or '*' or '#' or '?' or '-' or '$' or '!' or '0')
            {
                Next();
                return ch.ToString();
            }
            if (!char.IsLetterOrDigit(ch) && ch != '_')
            {
                break;
            }
            name.Append((char)Next());
        }
        return name.ToString();
    }

    /// <summary>Accumulates words: unquoted white space separates them, quoted text never does.</summary>
    private sealed class WordCollector
    {
        private readonly List<string> _words = [];
        private readonly StringBuilder _word = new();
        private bool _inWord;

        public void AddChar(char ch)
        {
            if (DockerfileWhitespace.IsSpace(ch))
            {
                if (_inWord && _word.Length != 0)
                {
                    _words.Add(_word.ToString());
                    _word.Clear();
                    _inWord = false;
                }
                return;
            }
            AddRaw(ch);
        }

        public void AddRaw(char ch)
        {
            _word.Append(ch);
            _inWord = true;
        }

        public void AddText(string text)
        {
            foreach (var ch in text)
            {
                AddChar(ch);
            }
        }

        public void AddRaw(string text)
        {
            _word.Append(text);
            _inWord = true;
        }

        public List<string> Finish()
        {
            if (_word.Length > 0)
            {
                _words.Add(_word.ToString());
                _word.Clear();
            }
            return _words;
        }
    }
}
