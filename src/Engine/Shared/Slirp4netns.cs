namespace Builder.Engine.Wire;

/// <summary>
/// Network mode "default": slirp4netns (Debian package slirp4netns) gives the container's network
/// namespace a tap interface behind a user-mode NAT. Its network is fixed, whatever the host's:
/// the container is <see cref="Address"/>, the gateway <see cref="Gateway"/> (the host's loopback
/// when allowed), and <see cref="Dns"/> forwards to the host's resolvers.
/// </summary>
internal static class Slirp4netns
{
    public const string Package = "slirp4netns";
    public const string Interface = "eth0";
    public const string Address = "10.0.2.100", Gateway = "10.0.2.2", Dns = "10.0.2.3";

    /// <summary>The fds slirp4netns gets: it writes "1" on the first when the interface is configured and exits when the second reads EOF.</summary>
    public const int ReadyFd = 3, ExitFd = 4;

    /// <summary>How long the container's init waits for the interface before giving up.</summary>
    public const int ReadyTimeoutMs = 10_000;

    /// <param name="targetPid">A process in the network namespace to connect (slirp4netns joins /proc/PID/ns/net).</param>
    public static string[] Arguments(string path, int targetPid, bool allowHostLoopback) =>
    [
        path,
        "--configure",
        "--mtu=65520",
        $"--ready-fd={ReadyFd}",
        $"--exit-fd={ExitFd}",
        // It parses the container's packets as root: confine it (own mount namespace, only
        // CAP_NET_BIND_SERVICE, a syscall filter), as rootlesskit and podman do.
        "--enable-sandbox",
        "--enable-seccomp",
        .. allowHostLoopback ? Array.Empty<string>() : ["--disable-host-loopback"],
        targetPid.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Interface,
    ];
}
