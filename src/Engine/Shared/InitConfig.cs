using System.Text.Json.Serialization;

namespace Builder.Engine.Wire;

/// <summary>
/// Everything the init helper needs to start one container, written by the engine as JSON into
/// the container's state directory. Paths are host paths unless named "Container...".
/// </summary>
internal sealed class InitConfig
{
    public string RootFs { get; set; } = "";
    public string[] Args { get; set; } = [];
    public string[] Env { get; set; } = [];
    public string WorkingDir { get; set; } = "/";
    public string User { get; set; } = "";
    public string Hostname { get; set; } = "";
    public bool HostNetwork { get; set; }
    /// <summary>Network mode "default": the user-mode NAT to connect the new network namespace to; null for "none" and "host".</summary>
    public NatConfig? Nat { get; set; }
    public bool ReadOnlyRootFs { get; set; }
    /// <summary>See <see cref="PrivilegedMode"/>.</summary>
    public bool Privileged { get; set; }
    public bool Tty { get; set; }
    /// <summary>Per-container /etc/hosts, /etc/resolv.conf, /etc/hostname (with <see cref="InitMount.Content"/>), bound read-only.</summary>
    public InitMount[] EtcFiles { get; set; } = [];
    /// <summary>
    /// A host directory (the container's state directory) that the helper covers, inside its own
    /// mount namespace only, with a tmpfs holding the /etc files: nothing is written to the host's disk.
    /// </summary>
    public string EtcDirectory { get; set; } = "";
    public InitMount[] Mounts { get; set; } = [];
    /// <summary>cgroup.procs files the helper joins before creating the namespaces.</summary>
    public string[] CgroupProcs { get; set; } = [];
    /// <summary>True on cgroup v2, where the container also gets its own cgroup namespace.</summary>
    public bool CgroupNamespace { get; set; }
}

internal sealed class InitMount
{
    /// <summary>"bind" or "tmpfs".</summary>
    public string Kind { get; set; } = "bind";
    public string ContainerPath { get; set; } = "";
    public string? Source { get; set; }
    /// <summary>For /etc files: the file's text, written by the helper.</summary>
    public string? Content { get; set; }
    public bool ReadOnly { get; set; }
    public long SizeBytes { get; set; }
}

internal sealed class NatConfig
{
    /// <summary>The slirp4netns binary (checked to exist by the engine).</summary>
    public string Path { get; set; } = "";
    /// <summary>Whether the gateway address reaches the host's 127.0.0.1.</summary>
    public bool AllowHostLoopback { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(InitConfig))]
internal sealed partial class InitConfigJson : JsonSerializerContext;
