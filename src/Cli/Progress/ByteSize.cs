using System.Globalization;

namespace Builder.Cli.Progress;

/// <summary>Byte counts as BuildKit prints them: <c>512B</c>, <c>2.11kB</c>, <c>12.58MB</c> (powers of 1024).</summary>
internal static class ByteSize
{
    private static readonly string[] Units = ["B", "kB", "MB", "GB", "TB", "PB"];

    public static string Format(long bytes)
    {
        if (bytes < 1024 && bytes > -1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        }
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("F2", CultureInfo.InvariantCulture) + Units[unit];
    }
}
