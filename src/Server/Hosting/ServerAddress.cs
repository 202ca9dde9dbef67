using System.Net;

namespace Builder.Server.Hosting;

/// <summary>Where the server listens or a client connects: <c>unix:///PATH</c> or <c>tcp://HOST:PORT</c>.</summary>
public sealed record ServerAddress
{
    private ServerAddress(string text, string? socketPath, string? host, int port)
    {
        Text = text;
        SocketPath = socketPath;
        Host = host;
        Port = port;
    }

    /// <summary>The address as written.</summary>
    public string Text { get; }

    /// <summary>The unix socket's path; null for TCP.</summary>
    public string? SocketPath { get; }

    /// <summary>The TCP host (name or address); null for a unix socket.</summary>
    public string? Host { get; }

    public int Port { get; }

    public bool IsUnix => SocketPath is not null;

    /// <summary>The default: a unix socket under /run.</summary>
    public const string Default = "unix:///run/builder/builder.sock";

    /// <summary>Parses <c>unix:///PATH</c> or <c>tcp://HOST:PORT</c>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static ServerAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = text["unix://".Length..];
            if (!path.StartsWith('/'))
            {
                throw new FormatException($"{text}: a unix socket address needs an absolute path (unix:///run/builder/builder.sock)");
            }
            return new ServerAddress(text, path, null, 0);
        }
        if (text.StartsWith("tcp://", StringComparison.Ordinal))
        {
            var rest = text["tcp://".Length..].TrimEnd('/');
            var colon = rest.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new FormatException($"{text}: expected tcp://HOST:PORT with a port from 1 to 65535");
            }
            var host = rest[..colon].Trim('[', ']');
            return new ServerAddress(text, null, host, port);
        }
        throw new FormatException($"{text}: expected unix:///PATH or tcp://HOST:PORT");
    }

    /// <summary>The IP addresses a TCP host names (a literal, or every address of a name).</summary>
    public IReadOnlyList<IPAddress> ResolveAddresses()
    {
        if (Host is null)
        {
            return [];
        }
        if (IPAddress.TryParse(Host, out var literal))
        {
            return [literal];
        }
        return Dns.GetHostAddresses(Host);
    }

    public override string ToString() => Text;
}
