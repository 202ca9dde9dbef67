using Builder.Frontend;

namespace Builder.Cli.Output;

/// <summary>
/// Prints a Dockerfile problem as one screen: <c>FILE:LINE: cause</c>, then the offending
/// source lines, numbered, so the user sees what to fix without opening the file.
/// </summary>
internal static class DockerfileErrorPrinter
{
    private const int MaxShownLines = 8;

    public static void PrintError(TextWriter output, string fileName, string? source, DockerfileException error)
    {
        var location = error.StartLine > 0 ? $"{fileName}:{error.StartLine}" : fileName;
        output.WriteLine($"error: {location}: {error.Message}");
        PrintLines(output, source, error.StartLine, error.EndLine);
    }

    public static void PrintWarning(TextWriter output, string fileName, DockerfileWarning warning)
    {
        var location = warning.StartLine > 0 ? $"{fileName}:{warning.StartLine}: " : "";
        output.WriteLine($"warning: {location}{warning.Message} ({warning.Rule})");
    }

    private static void PrintLines(TextWriter output, string? source, int start, int end)
    {
        if (source is null || start <= 0)
        {
            return;
        }
        var lines = source.Replace("\r\n", "\n").Split('\n');
        if (start > lines.Length)
        {
            return;
        }
        end = Math.Min(Math.Max(start, end), lines.Length);
        var last = Math.Min(end, start + MaxShownLines - 1);
        var width = last.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        for (var line = start; line <= last; line++)
        {
            var text = lines[line - 1].TrimEnd('\r');
            if (text.Length > 200)
            {
                text = text[..197] + "...";
            }
            output.WriteLine($" >>> {line.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(width)} | {text}");
        }
        if (last < end)
        {
            output.WriteLine($"     ... ({end - last} more lines, up to line {end})");
        }
    }
}
