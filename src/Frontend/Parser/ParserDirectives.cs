namespace Builder.Frontend.Parser;

/// <summary>
/// Recognises parser directives (<c># syntax=…</c>, <c># escape=…</c>, <c># check=…</c>). They are
/// only honoured at the top of the file: the first line that is not a directive-shaped comment for
/// a known directive (an instruction, a blank line, a plain comment, or an unknown
/// <c># name=value</c>) ends the directive section for good, as in BuildKit. Names are
/// case-insensitive and each may appear once.
/// </summary>
internal sealed class ParserDirectives
{
    private static readonly string[] Known = ["syntax", "escape", "check"];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private bool _done;

    /// <summary>The escape character in effect: <c>\</c> unless an escape directive said <c>`</c>.</summary>
    public char EscapeToken { get; private set; } = '\\';

    /// <summary>Directives seen so far, keyed by lower-case name.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>
    /// Offers a line (leading white space and the line terminator already removed). Returns true
    /// when it was a directive and has been recorded. Throws for a repeated directive or a bad escape token.
    /// </summary>
    public bool TryConsume(string line, int lineNumber)
    {
        if (_done)
        {
            return false;
        }
        if (!line.StartsWith('#') || !TryMatch(line.AsSpan(1), out var name, out var value))
        {
            _done = true;
            return false;
        }
        var key = name.ToLowerInvariant();
        if (Array.IndexOf(Known, key) < 0)
        {
            _done = true;
            return false;
        }
        if (_values.ContainsKey(key))
        {
            throw new DockerfileException($"only one {key} parser directive can be used", lineNumber, lineNumber);
        }
        if (key == "escape")
        {
            if (value is not ("`" or "\\"))
            {
                throw new DockerfileException($"invalid escape token '{value}' does not match ` or \\", lineNumber, lineNumber);
            }
            EscapeToken = value[0];
        }
        _values[key] = value;
        return true;
    }

    /// <summary>Matches <c>\s*name\s*=\s*value\s*</c> where name is <c>[A-Za-z][A-Za-z0-9]*</c> and value is not empty.</summary>
    private static bool TryMatch(ReadOnlySpan<char> text, out string name, out string value)
    {
        name = value = "";
        var i = 0;
        while (i < text.Length && DockerfileWhitespace.IsSpace(text[i]))
        {
            i++;
        }
        var nameStart = i;
        if (i >= text.Length || !char.IsAsciiLetter(text[i]))
        {
            return false;
        }
        while (i < text.Length && char.IsAsciiLetterOrDigit(text[i]))
        {
            i++;
        }
        var nameEnd = i;
        while (i < text.Length && IsRegexSpace(text[i]))
        {
            i++;
        }
        if (i >= text.Length || text[i] != '=')
        {
            return false;
        }
        i++;
        if (i >= text.Length)
        {
            return false;
        }
        var valueStart = i;
        while (i < text.Length && IsRegexSpace(text[i]))
        {
            i++;
        }
        var end = text.Length;
        while (end > i && IsRegexSpace(text[end - 1]))
        {
            end--;
        }
        if (end <= i)
        {
            // Only blanks after '=': the regex's lazy value still takes the last one.
            i = Math.Max(valueStart, text.Length - 1);
            end = text.Length;
        }
        name = text[nameStart..nameEnd].ToString();
        value = text[i..end].ToString();
        return true;
    }

    /// <summary>The <c>\s</c> class of Go regular expressions: tab, LF, FF, CR and space.</summary>
    private static bool IsRegexSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';
}
