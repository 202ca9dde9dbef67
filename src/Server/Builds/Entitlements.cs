using Builder.Frontend.Parser;

namespace Builder.Server.Builds;

/// <summary>
/// The entitlement rules of a remote build, checked before anything runs: what the client asks for
/// (<c>--allow</c>) must be allowed by the operator, and a Dockerfile's <c>RUN --network=host</c> or
/// <c>RUN --security=insecure</c> must have been asked for by the client.
/// </summary>
public static class Entitlements
{
    /// <summary>Null when the build may run, else the reason it may not.</summary>
    public static string? Check(IReadOnlySet<string> serverAllows, IReadOnlyCollection<string> clientAllows, string network, DockerfileAst dockerfile)
    {
        ArgumentNullException.ThrowIfNull(serverAllows);
        ArgumentNullException.ThrowIfNull(clientAllows);
        ArgumentNullException.ThrowIfNull(dockerfile);
        foreach (var entitlement in clientAllows)
        {
            if (!Hosting.ServerOptions.KnownEntitlements.Contains(entitlement))
            {
                return $"--allow {entitlement}: unknown entitlement (expected network.host or security.insecure)";
            }
            if (!serverAllows.Contains(entitlement))
            {
                return $"entitlement {entitlement} is not allowed by this server: its operator must start it with `builder serve --allow {entitlement}`";
            }
        }
        if (network == "host" && !serverAllows.Contains("network.host"))
        {
            return "--network host needs entitlement network.host, which this server does not allow (its operator must start it with `builder serve --allow network.host`)";
        }
        foreach (var node in dockerfile.Children)
        {
            if (!string.Equals(node.Keyword, "run", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            foreach (var flag in node.Flags)
            {
                var needed = flag switch
                {
                    "--network=host" => "network.host",
                    "--security=insecure" => "security.insecure",
                    _ => null,
                };
                if (needed is not null && !clientAllows.Contains(needed))
                {
                    return $"line {node.StartLine}: RUN {flag} needs entitlement {needed}: pass --allow {needed} to builder build" +
                        (serverAllows.Contains(needed) ? "" : $" (and this server's operator must allow it with `builder serve --allow {needed}`)");
                }
            }
        }
        return null;
    }
}
