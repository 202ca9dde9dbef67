namespace Builder.Frontend.Parser;

/// <summary>
/// One instruction of a Dockerfile as the parser sees it: keyword, flags and raw arguments,
/// before any variable expansion or validation. Mirrors the shape of BuildKit's parser output
/// so that the conformance dump (<see cref="Dump"/>) can be compared with its vectors.
/// </summary>
public sealed class Node
{
    /// <summary>Lower-case instruction keyword, e.g. <c>run</c>.</summary>
    public required string Keyword { get; init; }

    /// <summary>Flags as written, e.g. <c>--from=build</c>, in order.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary>
    /// Arguments as the parser split them. Shell form: one element, the command text.
    /// JSON form: one element per array item. ENV/LABEL: triples (key, value, separator)
    /// where the separator is <c>"="</c> for <c>k=v</c> and <c>""</c> for the legacy <c>ENV k v</c>.
    /// HEALTHCHECK: <c>CMD</c>/<c>NONE</c> followed by the command arguments.
    /// </summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>True when the arguments came from a JSON array (exec form).</summary>
    public bool IsJson { get; init; }

    /// <summary>The trigger instruction of an ONBUILD, otherwise null.</summary>
    public Node? Nested { get; init; }

    /// <summary>The instruction's source text with line continuations joined.</summary>
    public string Original { get; init; } = "";

    /// <summary>Heredoc bodies referenced by this instruction, in order of appearance.</summary>
    public IReadOnlyList<Heredoc> Heredocs { get; init; } = [];

    /// <summary>1-based line of the keyword.</summary>
    public int StartLine { get; init; }

    /// <summary>1-based last line (continuations and heredoc bodies included).</summary>
    public int EndLine { get; init; }

    /// <summary>Comment lines directly above the instruction, without the leading '#'.</summary>
    public IReadOnlyList<string> PrevComments { get; init; } = [];

    /// <summary>The conformance dump: <c>(keyword ["flags"...] "arg"...)</c>, Go-style quoting.</summary>
    public string Dump() => NodeDumper.Dump(this);
}

/// <summary>
/// A heredoc attached to an instruction. <paramref name="Expand"/> is false when the
/// delimiter was quoted (<c>&lt;&lt;"EOF"</c>), which disables variable expansion;
/// <paramref name="Chomp"/> is true for <c>&lt;&lt;-EOF</c>, whose leading tabs are stripped.
/// <paramref name="Content"/> is the body including its final newline (line endings as in the file);
/// for <c>&lt;&lt;-</c> the parser has already removed the leading tabs of every body line (stripping
/// again is harmless). <paramref name="Name"/> is the delimiter with its quotes removed.
/// For ONBUILD, the trigger's heredocs are on both the ONBUILD node and its <see cref="Node.Nested"/> node.
/// </summary>
public sealed record Heredoc(string Name, string Content, bool Expand, bool Chomp);

/// <summary>The result of parsing one Dockerfile.</summary>
public sealed class DockerfileAst
{
    /// <summary>Top-level instructions in file order.</summary>
    public required IReadOnlyList<Node> Children { get; init; }

    /// <summary>Parser directives found at the top (lower-case name → value).</summary>
    public IReadOnlyDictionary<string, string> Directives { get; init; } = new Dictionary<string, string>();

    /// <summary>The escape character in effect (<c>\</c> or <c>`</c>).</summary>
    public char EscapeToken { get; init; } = '\\';

    /// <summary>Warnings such as empty continuation lines.</summary>
    public IReadOnlyList<DockerfileWarning> Warnings { get; init; } = [];

    /// <summary>1-based first line of the first instruction.</summary>
    public int StartLine { get; init; }

    /// <summary>1-based last line of the last instruction.</summary>
    public int EndLine { get; init; }

    /// <summary>The whole conformance dump: one line per instruction, each ending in '\n'.</summary>
    public string Dump()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var child in Children)
        {
            sb.Append(child.Dump()).Append('\n');
        }
        return sb.ToString();
    }
}
