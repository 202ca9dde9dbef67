using System.Globalization;

namespace Builder.Frontend.Conversion;

/// <summary>Validates STOPSIGNAL values: a Linux signal name (with or without SIG) or number.</summary>
internal static class SignalName
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
        "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
        "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
    };

    public static bool IsValid(string signal)
    {
        if (int.TryParse(signal, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number is > 0 and <= 64;
        }
        var name = signal.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
        {
            name = name[3..];
        }
        if (name.StartsWith("RTMIN", StringComparison.Ordinal) || name.StartsWith("RTMAX", StringComparison.Ordinal))
        {
            var rest = name[5..];
            return rest.Length == 0 || (rest.Length >= 2 && (rest[0] is '+' or '-') && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 15);
        }
        return Names.Contains(name);
    }
}
