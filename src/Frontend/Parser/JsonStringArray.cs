using System.Globalization;
using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>How an argument text fared as a JSON array (exec form).</summary>
internal enum JsonArrayOutcome
{
    /// <summary>Not a JSON array (no leading <c>[</c>, or not valid JSON): the caller falls back to shell form.</summary>
    NotJson,

    /// <summary>A valid JSON array of strings.</summary>
    Strings,

    /// <summary>A valid JSON array holding something other than strings: an error, not a fallback.</summary>
    NotAllStrings,
}

/// <summary>
/// Reads the exec form <c>["a", "b"]</c> with the rules of Go's <c>encoding/json</c> that BuildKit
/// relies on: the whole text must be one valid JSON value (JSON white space only around tokens),
/// strings decode the standard escapes, unpaired surrogate escapes become U+FFFD, and nesting deeper
/// than 10000 levels counts as invalid. Non-recursive, so deep nesting cannot overflow the stack.
/// </summary>
internal sealed class JsonStringArray
{
    private const int MaxDepth = 10000;

    private readonly string _text;
    private readonly StringBuilder _scratch = new();
    private int _pos;

    private JsonStringArray(string text, int start)
    {
        _text = text;
        _pos = start;
    }

    public static JsonArrayOutcome TryParse(string text, out List<string> items)
    {
        items = [];
        var start = 0;
        while (start < text.Length && DockerfileWhitespace.IsSpace(text[start]))
        {
            start++;
        }
        if (start >= text.Length || text[start] != '[')
        {
            return JsonArrayOutcome.NotJson;
        }
        var reader = new JsonStringArray(text, start + 1);
        var allStrings = true;
        if (!reader.ReadArrayBody(items, ref allStrings))
        {
            items = [];
            return JsonArrayOutcome.NotJson;
        }
        reader.SkipWhitespace();
        if (reader._pos != text.Length)
        {
            items = [];
            return JsonArrayOutcome.NotJson;
        }
        if (!allStrings)
        {
            items = [];
            return JsonArrayOutcome.NotAllStrings;
        }
        return JsonArrayOutcome.Strings;
    }

    /// <summary>Reads the elements after the opening bracket up to and including the closing one.</summary>
    private bool ReadArrayBody(List<string> items, ref bool allStrings)
    {
        SkipWhitespace();
        if (Peek() == ']')
        {
            _pos++;
            return true;
        }
        while (true)
        {
            SkipWhitespace();
            if (Peek() == '"')
            {
                if (!ReadString(out var value))
                {
                    return false;
                }
                items.Add(value);
            }
            else
            {
                allStrings = false;
                if (!SkipValue())
                {
                    return false;
                }
            }
            SkipWhitespace();
            var c = Peek();
            _pos++;
            if (c == ']')
            {
                return true;
            }
            if (c != ',')
            {
                return false;
            }
        }
    }

    /// <summary>Skips one JSON value of any kind, validating it. Element values sit at depth 1 already.</summary>
    private bool SkipValue()
    {
        var open = new Stack<char>();
        while (true)
        {
            // Expecting a value.
            SkipWhitespace();
            var c = Peek();
            if (c is '[' or '{')
            {
                if (open.Count + 2 > MaxDepth)
                {
                    return false;
                }
                open.Push(c);
                _pos++;
                SkipWhitespace();
                if (c == '[')
                {
                    if (Peek() == ']')
                    {
                        _pos++;
                        open.Pop();
                    }
                    else
                    {
                        continue;
                    }
                }
                else if (Peek() == '}')
                {
                    _pos++;
                    open.Pop();
                }
                else
                {
                    if (!SkipMemberName())
                    {
                        return false;
                    }
                    continue;
                }
            }
            else if (!SkipScalar())
            {
                return false;
            }

            // After a value: close containers or move to the next element.
            while (true)
            {
                if (open.Count == 0)
                {
                    return true;
                }
                SkipWhitespace();
                var next = Peek();
                var top = open.Peek();
                if ((top == '[' && next == ']') || (top == '{' && next == '}'))
                {
                    _pos++;
                    open.Pop();
                    continue;
                }
                if (next != ',')
                {
                    return false;
                }
                _pos++;
                if (top == '{' && !SkipMemberName())
                {
                    return false;
                }
                break;
            }
        }
    }

    /// <summary>Skips <c>"name" :</c> inside an object.</summary>
    private bool SkipMemberName()
    {
        SkipWhitespace();
        if (Peek() != '"' || !ReadString(out _))
        {
            return false;
        }
        SkipWhitespace();
        if (Peek() != ':')
        {
            return false;
        }
        _pos++;
        return true;
    }

    private bool SkipScalar()
    {
        var c = Peek();
        if (c == '"')
        {
            return ReadString(out _);
        }
        if (c == '-' || char.IsAsciiDigit(c))
        {
            return SkipNumber();
        }
        return SkipLiteral("true") || SkipLiteral("false") || SkipLiteral("null");
    }

    private bool SkipLiteral(string literal)
    {
        if (!_text.AsSpan(_pos).StartsWith(literal, StringComparison.Ordinal))
        {
            return false;
        }
        _pos += literal.Length;
        return true;
    }

    private bool SkipNumber()
    {
        if (Peek() == '-')
        {
            _pos++;
        }
        if (Peek() == '0')
        {
            _pos++;
        }
        else if (!SkipDigits())
        {
            return false;
        }
        if (Peek() == '.')
        {
            _pos++;
            if (!SkipDigits())
            {
                return false;
            }
        }
        if (Peek() is 'e' or 'E')
        {
            _pos++;
            if (Peek() is '+' or '-')
            {
                _pos++;
            }
            if (!SkipDigits())
            {
                return false;
            }
        }
        return true;
    }

    private bool SkipDigits()
    {
        var start = _pos;
        while (char.IsAsciiDigit(Peek()))
        {
            _pos++;
        }
        return _pos > start;
    }

    /// <summary>Reads a string starting at its opening quote.</summary>
    private bool ReadString(out string value)
    {
        value = "";
        _pos++; // opening quote
        _scratch.Clear();
        while (_pos < _text.Length)
        {
            var c = _text[_pos++];
            if (c == '"')
            {
                value = _scratch.ToString();
                return true;
            }
            if (c < ' ')
            {
                return false; // control characters must be escaped in JSON
            }
            if (c != '\\')
            {
                if (char.IsSurrogate(c))
                {
                    AppendRawSurrogate(c);
                }
                else
                {
                    _scratch.Append(c);
                }
                continue;
            }
            if (_pos >= _text.Length)
            {
                return false;
            }
            var e = _text[_pos++];
            switch (e)
            {
                case '"': _scratch.Append('"'); break;
                case '\\': _scratch.Append('\\'); break;
                case '/': _scratch.Append('/'); break;
                case 'b': _scratch.Append('\b'); break;
                case 'f': _scratch.Append('\f'); break;
                case 'n': _scratch.Append('\n'); break;
                case 'r': _scratch.Append('\r'); break;
                case 't': _scratch.Append('\t'); break;
                case 'u':
                    if (!ReadHex4(out var unit))
                    {
                        return false;
                    }
                    AppendEscapedUnit(unit);
                    break;
                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary>A <c>\uXXXX</c> escape: surrogate halves only count as a pair; alone they decode to U+FFFD.</summary>
    private void AppendEscapedUnit(char unit)
    {
        if (!char.IsSurrogate(unit))
        {
            _scratch.Append(unit);
            return;
        }
        if (char.IsHighSurrogate(unit) && _pos + 6 <= _text.Length && _text[_pos] == '\\' && _text[_pos + 1] == 'u')
        {
            var save = _pos;
            _pos += 2;
            if (ReadHex4(out var low) && char.IsLowSurrogate(low))
            {
                _scratch.Append(unit).Append(low);
                return;
            }
            _pos = save; // the next escape is read on its own
        }
        _scratch.Append('\uFFFD');
    }

    /// <summary>An unescaped surrogate: a valid pair is kept, a lone half is invalid text and becomes U+FFFD.</summary>
    private void AppendRawSurrogate(char c)
    {
        if (char.IsHighSurrogate(c) && _pos < _text.Length && char.IsLowSurrogate(_text[_pos]))
        {
            _scratch.Append(c).Append(_text[_pos++]);
            return;
        }
        _scratch.Append('\uFFFD');
    }

    private bool ReadHex4(out char unit)
    {
        unit = '\0';
        if (_pos + 4 > _text.Length)
        {
            return false;
        }
        if (!ushort.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }
        _pos += 4;
        unit = (char)value;
        return true;
    }

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
        {
            _pos++;
        }
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';
}
