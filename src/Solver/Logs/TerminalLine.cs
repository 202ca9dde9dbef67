using System.Text;

namespace Builder.Solver.Logs;

/// <summary>
/// One line of process output as a terminal shows it once written: a carriage return moves back
/// to the first column and the text after it overwrites what is there (so a progress bar that
/// redraws its line ends as its final state), <c>ESC[K</c> erases to the end of the line and
/// <c>ESC[2K</c> all of it; other escape sequences (colors, cursor moves) are dropped. The line is
/// at most <see cref="MaxLength"/> characters wide; text past that is dropped, as it would wrap.
/// </summary>
public sealed class TerminalLine
{
    /// <summary>The widest line kept.</summary>
    public const int MaxLength = 4096;

    private readonly StringBuilder _text = new();
    private int _column;
    private EscapeState _escape;
    private int _escapeParameter;

    private enum EscapeState
    {
        None,
        Escape,
        Csi,
        Osc,
    }

    /// <summary>Nothing was written since the last <see cref="Clear"/> (a lone "\r" still counts as written).</summary>
    public bool IsEmpty => _text.Length == 0 && _column == 0 && _escape == EscapeState.None;

    /// <summary>Writes one character; '\n' is the caller's business (it ends the line).</summary>
    public void Write(char ch)
    {
        switch (_escape)
        {
            case EscapeState.Escape:
                _escape = ch switch { '[' => EscapeState.Csi, ']' => EscapeState.Osc, _ => EscapeState.None };
                _escapeParameter = 0;
                return;
            case EscapeState.Csi:
                if (ch is >= '0' and <= '9')
                {
                    _escapeParameter = Math.Min(_escapeParameter * 10 + (ch - '0'), 1000);
                }
                else if (ch is >= '@' and <= '~')
                {
                    _escape = EscapeState.None;
                    if (ch == 'K')
                    {
                        Erase(_escapeParameter);
                    }
                }
                return;
            case EscapeState.Osc:
                if (ch is '\a' or '\x1b' or '\\')
                {
                    _escape = EscapeState.None; // BEL, or ST's ESC then its backslash (dropped either way)
                }
                return;
        }
        switch (ch)
        {
            case '\r':
                _column = 0;
                return;
            case '\x1b':
                _escape = EscapeState.Escape;
                return;
            case '\b':
                _column = Math.Max(0, _column - 1);
                return;
        }
        if (_column >= MaxLength)
        {
            return;
        }
        if (_column < _text.Length)
        {
            _text[_column] = ch;
        }
        else
        {
            _text.Append(ch);
        }
        _column++;
    }

    /// <summary>Writes every character of <paramref name="text"/>.</summary>
    public void Write(ReadOnlySpan<char> text)
    {
        foreach (var ch in text)
        {
            Write(ch);
        }
    }

    public void Clear()
    {
        _text.Clear();
        _column = 0;
        _escape = EscapeState.None;
    }

    /// <summary>The line as shown.</summary>
    public override string ToString() => _text.ToString();

    /// <summary>How a terminal shows <paramref name="text"/> (one line, without its '\n').</summary>
    public static string Render(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = new TerminalLine();
        line.Write(text);
        return line.ToString();
    }

    private void Erase(int mode)
    {
        switch (mode)
        {
            case 0: // cursor to end
                if (_column < _text.Length)
                {
                    _text.Length = _column;
                }
                break;
            case 1: // start to cursor: blanks, as on screen
                for (var i = 0; i < Math.Min(_column + 1, _text.Length); i++)
                {
                    _text[i] = ' ';
                }
                break;
            default: // the whole line; the cursor stays where it is
                _text.Clear();
                _text.Append(' ', Math.Min(_column, MaxLength));
                break;
        }
    }
}
