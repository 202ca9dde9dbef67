namespace Builder.Frontend.Parser;

/// <summary>
/// Line continuation: a line whose last non-blank (space/tab) character is the escape token
/// continues on the next line, unless that token is itself escaped (<c>foo\\</c> does not continue).
/// </summary>
internal static class LineContinuation
{
    /// <summary>Returns the line without its continuation marker; <paramref name="continues"/> says whether one was there.</summary>
    public static string Trim(string line, char escapeToken, out bool continues)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t')
        {
            end--;
        }
        var marker = end - 1;
        if (marker >= 0 && line[marker] == escapeToken && (marker == 0 || line[marker - 1] != escapeToken))
        {
            continues = true;
            return line[..marker];
        }
        continues = false;
        return line;
    }
}
