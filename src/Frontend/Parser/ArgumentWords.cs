using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>
/// Splits arguments into words on white space, the way ENV, LABEL and ARG see them. Quotes and
/// escape characters are kept in the words (they are removed later, during expansion); they only
/// decide where words end. Inside single quotes the escape character has no effect.
/// </summary>
internal static class ArgumentWords
{
    private enum Phase { BetweenWords, InWord, InQuote }

    public static List<string> Split(string text, char escapeToken)
    {
        var words = new List<string>();
        var phase = Phase.BetweenWords;
        var quote = '\0';
        var blankOk = false;
        var word = new StringBuilder();

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
                phase = Phase.InWord;
            }
            if (atEnd)
            {
                if (blankOk || word.Length > 0)
                {
                    words.Add(word.ToString());
                }
                break;
            }
            if (phase == Phase.InWord)
            {
                if (DockerfileWhitespace.IsSpace(ch))
                {
                    phase = Phase.BetweenWords;
                    if (blankOk || word.Length > 0)
                    {
                        words.Add(word.ToString());
                    }
                    word.Clear();
                    blankOk = false;
                    continue;
                }
                if (ch is '\'' or '"')
                {
                    quote = ch;
                    blankOk = true;
                    phase = Phase.InQuote;
                }
                if (ch == escapeToken)
                {
                    if (pos + 1 == text.Length)
                    {
                        continue; // a trailing escape character is dropped
                    }
                    // Outside quotes an escape keeps itself and the next character, even a quote.
                    word.Append(ch);
                    ch = text[++pos];
                }
                word.Append(ch);
                continue;
            }
            // Phase.InQuote
            if (ch == quote)
            {
                phase = Phase.InWord;
            }
            if (ch == escapeToken && quote != '\'')
            {
                if (pos + 1 == text.Length)
                {
                    phase = Phase.InWord;
                    continue;
                }
                word.Append(ch);
                ch = text[++pos];
            }
            word.Append(ch);
        }
        return words;
    }
}
