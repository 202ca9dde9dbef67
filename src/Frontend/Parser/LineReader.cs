using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>One physical line of the Dockerfile.</summary>
/// <param name="Number">1-based line number.</param>
/// <param name="Text">The line without its terminating <c>\n</c> (a <c>\r</c> before it is kept).</param>
/// <param name="HasNewline">True when the line ended with <c>\n</c> rather than at the end of input.</param>
internal readonly record struct SourceLine(int Number, string Text, bool HasNewline)
{
    /// <summary>The text without trailing <c>\r</c>, as BuildKit compares and parses lines.</summary>
    public string Content => Text.TrimEnd('\r');

    /// <summary>The line as it appeared in the file, terminator included (heredoc bodies keep it).</summary>
    public string Raw => HasNewline ? Text + "\n" : Text;
}

/// <summary>
/// Streams physical lines out of a <see cref="TextReader"/>. Only <c>\n</c> ends a line (like
/// BuildKit's scanner), so CRLF files keep their <c>\r</c> for heredoc bodies. A byte-order mark
/// at the very start is dropped. Memory use is one line at a time, whatever its length.
/// </summary>
internal sealed class LineReader
{
    private readonly TextReader _reader;
    private readonly char[] _buffer = new char[8192];
    private readonly StringBuilder _line = new();
    private int _position;
    private int _length;
    private bool _atEnd;

    public LineReader(TextReader reader)
    {
        _reader = reader;
    }

    /// <summary>Number of the last line returned (0 before the first).</summary>
    public int LineNumber { get; private set; }

    public bool TryRead(out SourceLine line)
    {
        _line.Clear();
        var sawAny = false;
        while (true)
        {
            if (_position == _length)
            {
                if (_atEnd || !Fill())
                {
                    break;
                }
            }
            sawAny = true;
            var span = _buffer.AsSpan(_position, _length - _position);
            var newline = span.IndexOf('\n');
            if (newline >= 0)
            {
                _line.Append(span[..newline]);
                _position += newline + 1;
                line = Complete(hasNewline: true);
                return true;
            }
            _line.Append(span);
            _position = _length;
        }
        if (sawAny && _line.Length > 0)
        {
            line = Complete(hasNewline: false);
            return true;
        }
        line = default;
        return false;
    }

    private SourceLine Complete(bool hasNewline)
    {
        LineNumber++;
        var text = _line.ToString();
        if (LineNumber == 1 && text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }
        return new SourceLine(LineNumber, text, hasNewline);
    }

    private bool Fill()
    {
        _position = 0;
        _length = _reader.Read(_buffer, 0, _buffer.Length);
        if (_length <= 0)
        {
            _length = 0;
            _atEnd = true;
            return false;
        }
        return true;
    }
}
