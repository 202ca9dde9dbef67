namespace Builder.Frontend.Parser;

/// <summary>A heredoc announced on an instruction line, before its body is read.</summary>
/// <param name="Name">The delimiter with quotes removed.</param>
/// <param name="Expand">False when any part of the delimiter was quoted.</param>
/// <param name="Chomp">True for <c>&lt;&lt;-</c>.</param>
internal sealed record HeredocMarker(string Name, bool Expand, bool Chomp);

/// <summary>
/// Finds the heredoc markers of an instruction line: every shell word of the form
/// <c>[n]&lt;&lt;[-][blanks]DELIM</c> with a non-empty delimiter that is a single word and holds no <c>&lt;</c>.
/// Quoting any part of the delimiter (<c>&lt;&lt;'EOF'</c>, <c>&lt;&lt;"EOF"</c>) turns expansion off.
/// </summary>
internal static class HeredocMarkers
{
    public static List<HeredocMarker> Find(string line, LineSpan span)
    {
        var markers = new List<HeredocMarker>();
        var words = HeredocWordLexer.Split(line, rawQuotes: true, rawEscapes: true);
        if (words is null)
        {
            return markers; // a line the shell could not split has no heredocs
        }
        foreach (var word in words)
        {
            var marker = Parse(word, span);
            if (marker is not null)
            {
                markers.Add(marker);
            }
        }
        return markers;
    }

    private static HeredocMarker? Parse(string word, LineSpan span)
    {
        var i = 0;
        while (i < word.Length && char.IsAsciiDigit(word[i]))
        {
            i++;
        }
        if (!word.AsSpan(i).StartsWith("<<", StringComparison.Ordinal))
        {
            return null;
        }
        i += 2;
        var chomp = i < word.Length && word[i] == '-';
        if (chomp)
        {
            i++;
        }
        while (i < word.Length && word[i] is ' ' or '\t' or '\n' or '\f' or '\r')
        {
            i++; // "<<  EOF": blanks between the operator and the delimiter
        }
        var delimiter = word[i..];
        if (delimiter.Length == 0 || delimiter.Contains('<'))
        {
            return null;
        }

        var plain = HeredocWordLexer.Split(delimiter, rawQuotes: false, rawEscapes: false);
        if (plain is null)
        {
            throw span.Error($"invalid heredoc delimiter {GoStringQuoter.Quote(delimiter)}");
        }
        if (plain.Count != 1)
        {
            return null;
        }
        var quoted = HeredocWordLexer.Split(delimiter, rawQuotes: true, rawEscapes: false);
        if (quoted is null || quoted.Count != 1)
        {
            throw span.Error($"invalid heredoc delimiter {GoStringQuoter.Quote(delimiter)}");
        }
        var expand = CountQuotes(plain[0]) == CountQuotes(quoted[0]);
        return new HeredocMarker(plain[0], expand, chomp);
    }

    private static int CountQuotes(string text)
    {
        var count = 0;
        foreach (var c in text)
        {
            if (c is '\'' or '"')
            {
                count++;
            }
        }
        return count;
    }
}
