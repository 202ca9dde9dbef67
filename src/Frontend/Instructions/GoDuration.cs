using System.Globalization;

namespace Builder.Frontend.Instructions;

/// <summary>
/// Parses durations in the syntax Docker uses for HEALTHCHECK flags: a sequence of decimal numbers
/// with units (<c>ns us µs ms s m h</c>), e.g. <c>1m30s</c>, <c>1.5h</c>, <c>300ms</c>.
/// </summary>
internal static class GoDuration
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        if (text == "0")
        {
            return true;
        }
        decimal totalNanoseconds = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (start == i || !decimal.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.')
            {
                i++;
            }
            decimal? scale = text[unitStart..i] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60m * 1_000_000_000m,
                "h" => 3600m * 1_000_000_000m,
                _ => null,
            };
            if (scale is null)
            {
                return false;
            }
            totalNanoseconds += number * scale.Value;
        }
        if (totalNanoseconds > (decimal)TimeSpan.MaxValue.Ticks * 100)
        {
            return false;
        }
        duration = TimeSpan.FromTicks((long)(totalNanoseconds / 100));
        return true;
    }
}
