namespace Builder.Cli.Debug;

/// <summary>Columns padded to their widest cell, three spaces apart, as <c>builder images</c> prints them.</summary>
internal static class TextTable
{
    public static async Task WriteAsync(TextWriter output, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return;
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            await output.WriteLineAsync(string.Join("   ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c])))).ConfigureAwait(false);
        }
    }
}
