namespace Builder.Frontend.Parser;

/// <summary>
/// Turns one joined instruction line into an <see cref="InstructionDraft"/>: splits off the keyword
/// and flags, then hands the argument text to the parser for that instruction. Unknown keywords keep
/// their argument text as one shell-form argument; rejecting them is the typed layer's job.
/// </summary>
internal static class InstructionFactory
{
    public static InstructionDraft Create(string line, char escapeToken, LineSpan span) =>
        Create(CommandSplitter.Split(line), line, escapeToken, span);

    private static InstructionDraft Create(CommandParts parts, string line, char escapeToken, LineSpan span)
    {
        var keyword = parts.Keyword.ToLowerInvariant();
        var text = parts.Arguments;
        var arguments = keyword switch
        {
            "add" or "copy" or "volume" => ExecFormParser.JsonOrList(text, span),
            "run" or "cmd" or "entrypoint" or "shell" => ExecFormParser.JsonOrShell(text, span),
            "from" or "expose" => ExecFormParser.WhitespaceList(text),
            "env" => KeyValueParser.Parse(text, "ENV", escapeToken, span),
            "label" => KeyValueParser.Parse(text, "LABEL", escapeToken, span),
            "arg" => KeyValueParser.NamesOrPairs(text, escapeToken),
            "healthcheck" => HealthcheckParser.Parse(text, span),
            "onbuild" => ParseTrigger(text, escapeToken, span),
            // maintainer, stopsignal, user, workdir and unknown keywords: the text as written.
            _ => ParsedArguments.Single(text),
        };
        return new InstructionDraft(keyword, parts.Flags, arguments, line);
    }

    /// <summary>ONBUILD: the rest of the line is an instruction of its own, which may not be ONBUILD, FROM or MAINTAINER.</summary>
    private static ParsedArguments ParseTrigger(string text, char escapeToken, LineSpan span)
    {
        if (text.Length == 0)
        {
            return ParsedArguments.None;
        }
        // Check the trigger keyword before parsing it, so ONBUILD ONBUILD ... cannot recurse deeply.
        var parts = CommandSplitter.Split(text);
        switch (parts.Keyword.ToLowerInvariant())
        {
            case "onbuild":
                throw span.Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
            case "from":
            case "maintainer":
                throw span.Error($"{parts.Keyword.ToUpperInvariant()} isn't allowed as an ONBUILD trigger");
        }
        var trigger = Create(parts, text, escapeToken, span);
        return new ParsedArguments([], Nested: trigger);
    }
}
