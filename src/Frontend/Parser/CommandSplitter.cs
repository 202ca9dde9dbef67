namespace Builder.Frontend.Parser;

/// <summary>An instruction line split into keyword (as written), leading <c>--flags</c> and the remaining arguments.</summary>
internal readonly record struct CommandParts(string Keyword, IReadOnlyList<string> Flags, string Arguments);

/// <summary>
/// Splits a joined instruction line: the keyword ends at the first ASCII blank; the flags are the
/// leading words that start with <c>--</c>; the rest, trimmed, is the argument text.
/// </summary>
internal static class CommandSplitter
{
    public static CommandParts Split(string line)
    {
        var trimmed = line.Trim();
        var end = 0;
        while (end < trimmed.Length && !DockerfileWhitespace.IsBlank(trimmed[end]))
        {
            end++;
        }
        if (end == trimmed.Length)
        {
            return new CommandParts(trimmed, [], "");
        }
        var keyword = trimmed[..end];
        var restStart = end;
        while (restStart < trimmed.Length && DockerfileWhitespace.IsBlank(trimmed[restStart]))
        {
            restStart++;
        }
        var rest = BuilderFlags.Extract(trimmed[restStart..], out var flags);
        return new CommandParts(keyword, flags, rest.Trim());
    }
}
