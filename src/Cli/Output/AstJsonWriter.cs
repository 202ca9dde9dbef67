using System.Text.Json;
using Builder.Frontend.Parser;

namespace Builder.Cli.Output;

/// <summary>Writes the parsed AST as JSON (<c>builder parse</c> without --dump).</summary>
internal static class AstJsonWriter
{
    public static void Write(Stream output, DockerfileAst ast)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteStartObject("directives");
        foreach (var (name, value) in ast.Directives)
        {
            writer.WriteString(name, value);
        }
        writer.WriteEndObject();
        writer.WriteString("escape", ast.EscapeToken.ToString());
        writer.WriteStartArray("lines");
        writer.WriteNumberValue(ast.StartLine);
        writer.WriteNumberValue(ast.EndLine);
        writer.WriteEndArray();
        writer.WriteStartArray("instructions");
        foreach (var node in ast.Children)
        {
            WriteNode(writer, node);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteNode(Utf8JsonWriter writer, Node node)
    {
        writer.WriteStartObject();
        writer.WriteString("instruction", node.Keyword.ToUpperInvariant());
        writer.WriteStartArray("lines");
        writer.WriteNumberValue(node.StartLine);
        writer.WriteNumberValue(node.EndLine);
        writer.WriteEndArray();
        WriteStrings(writer, "flags", node.Flags);
        WriteStrings(writer, "args", node.Arguments);
        writer.WriteBoolean("json", node.IsJson);
        if (node.Heredocs.Count > 0)
        {
            writer.WriteStartArray("heredocs");
            foreach (var heredoc in node.Heredocs)
            {
                writer.WriteStartObject();
                writer.WriteString("name", heredoc.Name);
                writer.WriteBoolean("expand", heredoc.Expand);
                writer.WriteBoolean("chomp", heredoc.Chomp);
                writer.WriteString("content", heredoc.Content);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (node.Nested is { } nested)
        {
            writer.WritePropertyName("trigger");
            WriteNode(writer, nested);
        }
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }
        writer.WriteEndArray();
    }
}
