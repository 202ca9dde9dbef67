namespace Builder.Frontend.Parser;

/// <summary>1-based inclusive line range of the instruction being parsed, for error reporting.</summary>
internal readonly record struct LineSpan(int Start, int End)
{
    public DockerfileException Error(string message) => new(message, Start, End);
}

/// <summary>The arguments an instruction-specific parser produced.</summary>
/// <param name="Values">Argument strings (see <see cref="Node.Arguments"/>).</param>
/// <param name="IsJson">True when they came from a JSON array.</param>
/// <param name="Nested">The ONBUILD trigger, if any.</param>
internal sealed record ParsedArguments(IReadOnlyList<string> Values, bool IsJson = false, InstructionDraft? Nested = null)
{
    public static ParsedArguments None { get; } = new([]);

    public static ParsedArguments Single(string value) => value.Length == 0 ? None : new([value]);
}

/// <summary>An instruction parsed from its joined line, before line numbers, comments and heredocs are attached.</summary>
internal sealed record InstructionDraft(string Keyword, IReadOnlyList<string> Flags, ParsedArguments Arguments, string Original)
{
    /// <summary>Instructions whose shell form may carry heredocs.</summary>
    private static bool AllowsHeredocs(string keyword) => keyword is "run" or "copy" or "add";

    /// <summary>True for shell-form RUN/COPY/ADD, directly or as the ONBUILD trigger.</summary>
    public bool CanContainHeredoc
    {
        get
        {
            var target = Keyword == "onbuild" && Arguments.Nested is not null ? Arguments.Nested : this;
            return AllowsHeredocs(target.Keyword) && !target.Arguments.IsJson;
        }
    }
}
