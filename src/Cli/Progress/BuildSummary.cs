using System.Globalization;

namespace Builder.Cli.Progress;

/// <summary>The lines after the progress, as buildx prints them: the warnings found.</summary>
internal static class BuildSummary
{
    /// <summary>Says how much output the display dropped because it fell behind (nothing when none).</summary>
    public static void WriteDropped(TextWriter output, long droppedBytes)
    {
        if (droppedBytes > 0)
        {
            output.WriteLine();
            output.WriteLine($"note: {ByteSize.Format(droppedBytes)} of step output was not shown because the display fell behind; each step's full log is kept");
        }
    }

    /// <summary>Writes <c>N warnings found:</c> and one <c> - text</c> line per warning (nothing when none).</summary>
    public static void WriteWarnings(TextWriter output, IReadOnlyList<string> warnings)
    {
        if (warnings.Count == 0)
        {
            return;
        }
        output.WriteLine();
        output.WriteLine(warnings.Count == 1
            ? " 1 warning found:"
            : $" {warnings.Count.ToString(CultureInfo.InvariantCulture)} warnings found:");
        foreach (var warning in warnings)
        {
            output.WriteLine($" - {warning}");
        }
    }
}
