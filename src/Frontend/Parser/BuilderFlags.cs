using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>
/// Extracts the leading <c>--name=value</c> / <c>--name</c> words of an instruction. Flag words
/// may quote (<c>--x="a b"</c>) and backslash-escape; quotes are removed. A bare <c>--</c>
/// ends the flags and is dropped. The first word not starting with <c>--</c> begins the arguments.
/// </summary>
internal static class BuilderFlags
{
    private enum Phase { BetweenWords, InWord, InQuote }

    /// <summary>Returns the text after the flags; <paramref name="flags"/> receives the flags in order.</summary>
    public static string Extract(string text, out List<string> flags)
    {
        flags = [];
        var phase = Phase.BetweenWords;
        var word = new StringBuilder();
        var quote = '\0';
        var blankOk = false;

        for (var pos = 0; pos <= text.Length; pos++)
        {
            var atEnd = pos == text.Length;
            var ch = atEnd ? '\0' : text[pos];

            if (phase == Phase.BetweenWords)
            {
                if (atEnd)
                {
                    break;
                }
                if (DockerfileWhitespace.IsSpace(ch))
                {
                    continue;
                }
                if (ch != '-' || pos + 1 == text.Length || text[pos + 1] != '-')
                {
                    return text[pos..];
                }
                phase = Phase.InWord;
            }
            if (atEnd)
            {
                if (!IsTerminator(word) && (blankOk || word.Length > 0))
                {
                    flags.Add(word.ToString());
                }
                break;
            }
            if (phase == Phase.InWord)
            {
                if (DockerfileWhitespace.IsSpace(ch))
                {
                    if (IsTerminator(word))
                    {
                        return text[pos..];
                    }
                    if (blankOk || word.Length > 0)
                    {
                        flags.Add(word.ToString());
                    }
                    phase = Phase.BetweenWords;
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = Phase.InQuote;
                    continue;
                }
                if (ch == '\\')
                {
                    if (pos + 1 == text.Length)
                    {
                        continue;
                    }
                    ch = text[++pos];
                }
                word.Append(ch);
                continue;
            }
            // Phase.InQuote
            if (ch == quote)
            {
                phase = Phase.InWord;
                continue;
            }
            if (ch == '\\')
            {
                if (pos + 1 == text.Length)
                {
                    phase = Phase.InWord;
                    continue;
                }
                ch = text[++pos];
            }
            word.Append(ch);
        }
        return "";
    }

    private static bool IsTerminator(StringBuilder word) => word.Length == 2 && word[0] == '-' && word[1] == '-';
}
