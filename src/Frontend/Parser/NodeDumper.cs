using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>
/// Writes the s-expression dump used by BuildKit's parser test vectors:
/// <c>(keyword ["--flag"...] (nested ...) "arg"...)</c> with Go-style quoting.
/// </summary>
internal static class NodeDumper
{
    public static string Dump(Node node)
    {
        ArgumentNullException.ThrowIfNull(node);
        var sb = new StringBuilder();
        Append(sb, node);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, Node node)
    {
        sb.Append('(').Append(node.Keyword);
        if (node.Flags.Count > 0)
        {
            // Go's %q on a []string: quoted elements, space separated, in brackets.
            sb.Append(" [");
            for (var i = 0; i < node.Flags.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(' ');
                }
                GoStringQuoter.AppendQuoted(sb, node.Flags[i]);
            }
            sb.Append(']');
        }
        if (node.Nested is not null)
        {
            sb.Append(' ');
            Append(sb, node.Nested);
        }
        foreach (var argument in node.Arguments)
        {
            sb.Append(' ');
            GoStringQuoter.AppendQuoted(sb, argument);
        }
        sb.Append(')');
    }
}
