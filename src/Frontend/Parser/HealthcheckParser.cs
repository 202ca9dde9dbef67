namespace Builder.Frontend.Parser;

/// <summary>
/// HEALTHCHECK arguments: the first word (<c>CMD</c>, <c>NONE</c>, or whatever was written — the
/// typed layer validates it) followed by the command in exec or shell form.
/// </summary>
internal static class HealthcheckParser
{
    public static ParsedArguments Parse(string text, LineSpan span)
    {
        var typeEnd = 0;
        while (typeEnd < text.Length && !DockerfileWhitespace.IsSpace(text[typeEnd]))
        {
            typeEnd++;
        }
        if (typeEnd == 0)
        {
            return ParsedArguments.None;
        }
        var commandStart = typeEnd;
        while (commandStart < text.Length && DockerfileWhitespace.IsSpace(text[commandStart]))
        {
            commandStart++;
        }
        var command = ExecFormParser.JsonOrShell(text[commandStart..], span);
        var values = new List<string>(command.Values.Count + 1) { text[..typeEnd] };
        values.AddRange(command.Values);
        return new ParsedArguments(values, command.IsJson);
    }
}
