namespace Builder.Engine.Native;

/// <summary>Contents of the per-container /etc/hosts, /etc/resolv.conf and /etc/hostname.</summary>
internal static class EtcFiles
{
    public static string Hosts(ContainerSpec spec)
    {
        var lines = new List<string>
        {
            $"127.0.0.1\tlocalhost {spec.Hostname}",
            "::1\tlocalhost ip6-localhost ip6-loopback",
        };
        foreach (var extra in spec.ExtraHosts)
        {
            var parts = extra.Split([' ', '\t', '='], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 2)
            {
                lines.Add($"{parts[1]}\t{parts[0]}");
            }
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>
    /// The host's resolver configuration; loopback name servers are useless from another network
    /// namespace. In network mode "default" the only name server is the NAT's DNS forwarder (which
    /// asks the host's), with the host's search and options lines.
    /// </summary>
    public static string ResolvConf(ContainerSpec spec)
    {
        var host = File.Exists("/etc/resolv.conf") ? File.ReadAllLines("/etc/resolv.conf") : [];
        if (spec.Network == NetworkMode.Host)
        {
            return string.Join('\n', host) + "\n";
        }
        if (spec.Network == NetworkMode.Default)
        {
            var options = host.Where(l => !l.TrimStart().StartsWith("nameserver", StringComparison.Ordinal));
            return string.Join('\n', options.Prepend($"nameserver {Wire.Slirp4netns.Dns}")) + "\n";
        }
        var kept = host.Where(l => !(l.TrimStart().StartsWith("nameserver", StringComparison.Ordinal) && l.Contains("127.", StringComparison.Ordinal))).ToList();
        return string.Join('\n', kept) + "\n";
    }

    public static string Hostname(ContainerSpec spec) => spec.Hostname + "\n";
}
