namespace Builder.Engine;

/// <summary>What to run in a container. The rootfs is a directory the caller prepared (e.g. an overlay mount).</summary>
public sealed record ContainerSpec
{
    /// <summary>Host path of the root filesystem; it must exist and is used as is (never copied).</summary>
    public required string RootFs { get; init; }

    /// <summary>argv of the command; Args[0] is looked up in the container's PATH when it has no '/'.</summary>
    public required IReadOnlyList<string> Args { get; init; }

    /// <summary>Environment as "KEY=value"; PATH and HOME get Docker's defaults when absent.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>Absolute path inside the container; created when missing, must lie inside the rootfs.</summary>
    public string WorkingDir { get; init; } = "/";

    /// <summary>USER: name, uid, name:group or uid:gid, resolved in the rootfs's /etc/passwd and /etc/group. Empty means root.</summary>
    public string User { get; init; } = "";

    public string Hostname { get; init; } = "sandbox";

    public NetworkMode Network { get; init; } = NetworkMode.None;

    /// <summary>
    /// Network mode <see cref="NetworkMode.Default"/> only: the NAT's gateway address (10.0.2.2)
    /// reaches the host's 127.0.0.1. Off by default, so a build cannot talk to services that
    /// listen on the host's loopback only.
    /// </summary>
    public bool AllowHostLoopback { get; init; }

    /// <summary>Extra mounts, applied in order after the engine's own (/proc, /dev, /sys, /etc files).</summary>
    public IReadOnlyList<ContainerMount> Mounts { get; init; } = [];

    public ResourceLimits Limits { get; init; } = ResourceLimits.None;

    public bool ReadOnlyRootFs { get; init; }

    /// <summary>
    /// RUN --security=insecure (BuildKit's insecure mode): every capability the engine holds, for
    /// any user; /proc and /sys neither masked nor read-only; BuildKit's extra devices (fuse, kvm,
    /// net/tun, kmsg, loop). The namespaces stay: it is a sandbox without its walls, not the host.
    /// </summary>
    public bool Privileged { get; init; }

    /// <summary>Extra "name address" lines for /etc/hosts.</summary>
    public IReadOnlyList<string> ExtraHosts { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> for a spec no executor could run.</summary>
    public void Validate()
    {
        if (!Path.IsPathFullyQualified(RootFs) || !Directory.Exists(RootFs))
        {
            throw new ArgumentException($"rootfs {RootFs} is not an existing absolute directory", nameof(RootFs));
        }
        if (Args.Count == 0 || Args[0].Length == 0)
        {
            throw new ArgumentException("the command (Args) is empty", nameof(Args));
        }
        if (!WorkingDir.StartsWith('/'))
        {
            throw new ArgumentException($"working directory {WorkingDir} is not absolute", nameof(WorkingDir));
        }
        if (Hostname.Length is 0 or > 64)
        {
            throw new ArgumentException($"hostname '{Hostname}' must have 1 to 64 characters", nameof(Hostname));
        }
        foreach (var e in Env)
        {
            if (!e.Contains('=') || e.Contains('\0'))
            {
                throw new ArgumentException($"environment entry '{e}' is not KEY=value", nameof(Env));
            }
        }
        foreach (var m in Mounts)
        {
            if (!m.Destination.StartsWith('/'))
            {
                throw new ArgumentException($"mount destination {m.Destination} is not absolute", nameof(Mounts));
            }
            if (m is BindMount bind && !Path.IsPathFullyQualified(bind.Source))
            {
                throw new ArgumentException($"bind mount source {bind.Source} is not absolute", nameof(Mounts));
            }
        }
    }
}

public enum NetworkMode
{
    /// <summary>A new network namespace with only the loopback interface, up.</summary>
    None,
    /// <summary>The host's network namespace.</summary>
    Host,
    /// <summary>
    /// A new network namespace with outbound access through a user-mode NAT (slirp4netns): loopback,
    /// eth0 with 10.0.2.100/24 and a default route via 10.0.2.2, DNS at 10.0.2.3. The host's
    /// loopback is unreachable unless <see cref="ContainerSpec.AllowHostLoopback"/> is set.
    /// </summary>
    Default,
}

/// <summary>A mount inside the container.</summary>
public abstract record ContainerMount(string Destination);

/// <summary>A host file or directory bound into the container.</summary>
public sealed record BindMount(string Source, string Destination, bool ReadOnly = false) : ContainerMount(Destination);

/// <summary>A fresh tmpfs; <paramref name="SizeBytes"/> 0 means the kernel default (half of RAM).</summary>
public sealed record TmpfsMount(string Destination, long SizeBytes = 0) : ContainerMount(Destination);

/// <summary>cgroup limits; null means unlimited.</summary>
public sealed record ResourceLimits(long? MemoryBytes = null, int? Pids = null, double? Cpus = null)
{
    public static ResourceLimits None { get; } = new();

    public bool IsEmpty => MemoryBytes is null && Pids is null && Cpus is null;
}

/// <summary>Size of an interactive terminal.</summary>
public sealed record TerminalSize(ushort Columns, ushort Rows);
