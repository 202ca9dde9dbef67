namespace Builder.Frontend.Parser;

/// <summary>
/// Arguments that may be written as a JSON array (exec form) or as plain text (shell form).
/// Text that is not a valid JSON array silently stays shell form, as in BuildKit; a valid array
/// with non-string elements is an error.
/// </summary>
internal static class ExecFormParser
{
    private const string NotStringsMessage = "when using JSON array syntax, arrays must be comprised of strings only";

    /// <summary>RUN, CMD, ENTRYPOINT, SHELL: JSON array, or the whole text as one shell-form argument.</summary>
    public static ParsedArguments JsonOrShell(string text, LineSpan span)
    {
        if (text.Length == 0)
        {
            return ParsedArguments.None;
        }
        return TryJson(text, span) ?? new ParsedArguments([text]);
    }

    /// <summary>ADD, COPY, VOLUME: JSON array, or the text split on blanks.</summary>
    public static ParsedArguments JsonOrList(string text, LineSpan span) =>
        TryJson(text, span) ?? WhitespaceList(text);

    /// <summary>FROM, EXPOSE (and the shell-form fallback of ADD/COPY/VOLUME): words split on blanks.</summary>
    public static ParsedArguments WhitespaceList(string text) =>
        text.Length == 0 ? ParsedArguments.None : new ParsedArguments(DockerfileWhitespace.SplitOnBlanks(text));

    private static ParsedArguments? TryJson(string text, LineSpan span)
    {
        switch (JsonStringArray.TryParse(text, out var items))
        {
            case JsonArrayOutcome.Strings:
                return new ParsedArguments(items, IsJson: true);
            case JsonArrayOutcome.NotAllStrings:
                throw span.Error(NotStringsMessage);
            default:
                return null;
        }
    }
}
