using System.Text.Json;
using Builder.Frontend;
using Builder.Frontend.Conversion;
using Builder.Oci.Image;

namespace Builder.Cli.Output;

/// <summary>
/// Writes a conversion result as the JSON that <c>builder plan</c> prints: every op with its
/// digest, inputs and the exact canonical form its digest is taken over, plus each stage's image
/// config.
/// </summary>
internal static class PlanJsonWriter
{
    public static void Write(Stream output, string dockerfile, ConversionResult result)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteString("dockerfile", dockerfile);
        writer.WriteString("target", result.Target.DisplayName);
        if (result.Definition is { } definition)
        {
            writer.WriteString("root", definition.Root.Digest);
            writer.WriteStartArray("ops");
            foreach (var vertex in definition.TopologicalOrder())
            {
                writer.WriteStartObject();
                writer.WriteString("digest", vertex.Digest);
                writer.WriteString("kind", vertex.Op.Kind);
                writer.WriteString("name", vertex.Description.Name);
                if (vertex.Description.Stage is { } stage)
                {
                    writer.WriteString("stage", stage);
                }
                if (vertex.Description.StartLine > 0)
                {
                    writer.WriteStartArray("lines");
                    writer.WriteNumberValue(vertex.Description.StartLine);
                    writer.WriteNumberValue(vertex.Description.EndLine);
                    writer.WriteEndArray();
                }
                if (vertex.Description.IgnoreCache)
                {
                    writer.WriteBoolean("ignoreCache", true);
                }
                writer.WritePropertyName("definition");
                writer.WriteRawValue(vertex.CanonicalForm(), skipInputValidation: true);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        else
        {
            writer.WriteNull("root");
            writer.WriteStartArray("ops");
            writer.WriteEndArray();
        }

        writer.WriteStartArray("stages");
        foreach (var stage in result.Stages)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", stage.Index);
            if (stage.Name is not null)
            {
                writer.WriteString("name", stage.Name);
            }
            writer.WriteString("base", stage.BaseName);
            writer.WriteString("platform", stage.Platform.ToString());
            writer.WriteBoolean("baseConfigResolved", stage.BaseResolved);
            if (stage.Vertex is not null)
            {
                writer.WriteString("result", stage.Vertex.Digest);
            }
            writer.WritePropertyName("image");
            WriteImage(writer, stage.Image);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        writer.WritePropertyName("image");
        WriteImage(writer, result.Image);

        writer.WriteStartArray("warnings");
        foreach (var warning in result.Warnings)
        {
            WriteWarning(writer, warning);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteImage(Utf8JsonWriter writer, ImageConfig image) =>
        JsonSerializer.Serialize(writer, image, ImageJsonContext.Default.ImageConfig);

    private static void WriteWarning(Utf8JsonWriter writer, DockerfileWarning warning)
    {
        writer.WriteStartObject();
        writer.WriteString("rule", warning.Rule);
        writer.WriteString("message", warning.Message);
        writer.WriteNumber("line", warning.StartLine);
        writer.WriteEndObject();
    }
}
