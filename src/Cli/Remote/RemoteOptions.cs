using System.CommandLine;
using Builder.Server.Client;
using Builder.Server.Hosting;

namespace Builder.Cli.Remote;

/// <summary>
/// The global options that send commands to a build server: <c>--host</c> (or BUILDER_HOST) and the
/// client's TLS material. <c>builder serve</c> reads the same TLS options as its own certificate.
/// The one place that decides local or remote.
/// </summary>
internal static class RemoteOptions
{
    public static Option<string?> Host { get; } = new("--host", "-H")
    {
        Description = "Build server to use: unix:///PATH or tcp://HOST:PORT (default: $BUILDER_HOST; unset builds locally)",
        Recursive = true,
    };

    public static Option<string?> TlsCert { get; } = new("--tlscert") { Description = "TLS certificate (PEM): the client's with --host, the server's with serve", Recursive = true };

    public static Option<string?> TlsKey { get; } = new("--tlskey") { Description = "TLS private key (PEM) of --tlscert", Recursive = true };

    public static Option<string?> TlsCaCert { get; } = new("--tlscacert") { Description = "CA certificate (PEM) the other side's certificate must chain to", Recursive = true };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Host);
        root.Options.Add(TlsCert);
        root.Options.Add(TlsKey);
        root.Options.Add(TlsCaCert);
    }

    /// <summary>A connection to the server named by --host or BUILDER_HOST; null to work locally.</summary>
    public static BuilderConnection? Connect(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var text = parse.GetValue(Host);
        if (string.IsNullOrEmpty(text))
        {
            text = Environment.GetEnvironmentVariable("BUILDER_HOST");
        }
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        ServerAddress address;
        try
        {
            address = ServerAddress.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"--host {e.Message}");
        }
        var cert = parse.GetValue(TlsCert);
        var key = parse.GetValue(TlsKey);
        var ca = parse.GetValue(TlsCaCert);
        ClientTls? tls = null;
        if (cert is not null || key is not null || ca is not null)
        {
            if (cert is null || key is null || ca is null)
            {
                throw new UsageException("--tlscert, --tlskey and --tlscacert go together");
            }
            tls = new ClientTls(cert, key, ca);
        }
        try
        {
            return BuilderConnection.Open(address, tls);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot load the client's TLS certificate, key or CA: {e.Message}");
        }
    }
}
