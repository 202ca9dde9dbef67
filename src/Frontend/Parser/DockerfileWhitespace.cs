namespace Builder.Frontend.Parser;

/// <summary>
/// The two notions of whitespace the Dockerfile grammar uses. BuildKit splits the keyword and
/// whitespace-delimited lists on ASCII blanks only (<c>[\t\v\f\r ]</c>), while word scanning and
/// trimming use Unicode white space. Mixing them up changes how odd files parse, so both are named.
/// </summary>
internal static class DockerfileWhitespace
{
    /// <summary>ASCII blank as used for splitting the keyword and list arguments: tab, VT, FF, CR, space.</summary>
    public static bool IsBlank(char c) => c is ' ' or '\t' or '\v' or '\f' or '\r';

    /// <summary>Unicode white space (the same set as Go's <c>unicode.IsSpace</c>).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c);

    /// <summary>Splits on runs of <see cref="IsBlank"/>; at most <paramref name="maxParts"/> parts (0 = no limit).</summary>
    public static List<string> SplitOnBlanks(string text, int maxParts = 0)
    {
        var parts = new List<string>();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (!IsBlank(text[i]))
            {
                i++;
                continue;
            }
            if (maxParts > 0 && parts.Count == maxParts - 1)
            {
                break;
            }
            parts.Add(text[start..i]);
            while (i < text.Length && IsBlank(text[i]))
            {
                i++;
            }
            start = i;
        }
        parts.Add(text[start..]);
        return parts;
    }
}
