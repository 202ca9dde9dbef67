using System.Globalization;

namespace Builder.Frontend.Conversion;

/// <summary>Parses EXPOSE values (<c>80</c>, <c>80/udp</c>, <c>8000-8002/tcp</c>) into <c>port/proto</c> keys.</summary>
internal static class PortSpec
{
    public static IEnumerable<string> Expand(string spec)
    {
        var text = spec;
        var proto = "tcp";
        var slash = text.IndexOf('/');
        if (slash >= 0)
        {
            proto = text[(slash + 1)..].ToLowerInvariant();
            text = text[..slash];
            if (proto is not ("tcp" or "udp" or "sctp"))
            {
                throw new FormatException($"invalid protocol '{proto}' in port '{spec}' (valid: tcp, udp, sctp)");
            }
        }
        // ip:hostPort:containerPort and hostPort:containerPort name the container port last.
        var colon = text.LastIndexOf(':');
        if (colon >= 0)
        {
            text = text[(colon + 1)..];
        }
        var dash = text.IndexOf('-');
        var first = ParsePort(dash < 0 ? text : text[..dash], spec);
        var last = dash < 0 ? first : ParsePort(text[(dash + 1)..], spec);
        if (last < first)
        {
            throw new FormatException($"invalid port range '{spec}': the end is below the start");
        }
        for (var port = first; port <= last; port++)
        {
            yield return port.ToString(CultureInfo.InvariantCulture) + "/" + proto;
        }
    }

    private static int ParsePort(string text, string spec) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
            ? port
            : throw new FormatException($"invalid port '{spec}': expected a number from 0 to 65535, optionally /tcp, /udp or /sctp");
}
