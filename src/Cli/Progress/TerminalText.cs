using System.Text;

namespace Builder.Cli.Progress;

/// <summary>
/// Makes process output safe to show inside our own screen: escape sequences (colors, cursor
/// moves) and other control characters are dropped, tabs become spaces, and text overwritten
/// after a carriage return shows as a terminal would show it, so one output line stays one
/// screen line and cannot redraw the terminal.
/// </summary>
internal static class TerminalText
{
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\r'))
        {
            // A carriage return inside a line overwrites it on a terminal (progress bars): keep
            // what a terminal shows, as the step log's last lines do (Solver.Logs.TerminalLine).
            text = Builder.Solver.Logs.TerminalLine.Render(text);
        }
        if (!NeedsCleaning(text))
        {
            return text;
        }
        var clean = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\t')
            {
                clean.Append(' ', 8 - (clean.Length % 8));
            }
            else if (c == '\x1b')
            {
                i = SkipEscape(text, i);
            }
            else if (!char.IsControl(c))
            {
                clean.Append(c);
            }
        }
        return clean.ToString();
    }

    private static bool NeedsCleaning(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Returns the index of the escape sequence's last character (CSI, OSC or a two-character escape).</summary>
    private static int SkipEscape(string text, int start)
    {
        var i = start + 1;
        if (i >= text.Length)
        {
            return start;
        }
        switch (text[i])
        {
            case '[':
                // CSI: parameters and intermediates, then a final byte in @..~.
                for (i++; i < text.Length; i++)
                {
                    if (text[i] is >= '@' and <= '~')
                    {
                        return i;
                    }
                }
                return text.Length - 1;
            case ']':
                // OSC: up to BEL or ST (ESC \).
                for (i++; i < text.Length; i++)
                {
                    if (text[i] == '\a')
                    {
                        return i;
                    }
                    if (text[i] == '\x1b' && i + 1 < text.Length && text[i + 1] == '\\')
                    {
                        return i + 1;
                    }
                }
                return text.Length - 1;
            default:
                return i;
        }
    }
}
