using System.Text.Json;

namespace Builder.Solver.Definition;

/// <summary>Network access of a process.</summary>
public enum NetworkMode
{
    /// <summary>Outbound access from the container's own network namespace.</summary>
    Default,
    /// <summary>Loopback only.</summary>
    None,
    /// <summary>The host's network namespace (needs the network.host entitlement).</summary>
    Host,
}

/// <summary>Privilege level of a process.</summary>
public enum SecurityMode
{
    /// <summary>Default capabilities and confinement.</summary>
    Sandbox,
    /// <summary>All capabilities (needs the security.insecure entitlement).</summary>
    Insecure,
}

/// <summary>
/// Runs a process over a root filesystem and keeps the result. The root mount (target "/") is
/// the op's primary output. Secret, ssh and tmpfs mounts carry no content into the result and
/// are left out of the cache key by the solver.
/// </summary>
public sealed record ExecOp(
    IReadOnlyList<string> Args,
    IReadOnlyList<string> Env,
    string WorkingDir,
    string User,
    IReadOnlyList<Mount> Mounts,
    NetworkMode Network = NetworkMode.Default,
    SecurityMode Security = SecurityMode.Sandbox) : Op
{
    public override string Kind => "exec";

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("args");
        foreach (var arg in Args)
        {
            writer.WriteStringValue(arg);
        }
        writer.WriteEndArray();
        writer.WriteStartArray("env");
        foreach (var e in Env)
        {
            writer.WriteStringValue(e);
        }
        writer.WriteEndArray();
        writer.WriteString("cwd", WorkingDir);
        writer.WriteString("user", User);
        writer.WriteString("network", Network.ToString().ToLowerInvariant());
        writer.WriteString("security", Security.ToString().ToLowerInvariant());
        writer.WriteStartArray("mounts");
        foreach (var mount in Mounts)
        {
            mount.WriteCanonical(writer);
        }
        writer.WriteEndArray();
    }
}

/// <summary>What kind of filesystem a mount provides.</summary>
public enum MountType
{
    /// <summary>A snapshot of an input (the root, or <c>--mount=type=bind</c>).</summary>
    Bind,
    /// <summary>A persistent cache directory shared across builds.</summary>
    Cache,
    /// <summary>An empty in-memory filesystem.</summary>
    Tmpfs,
    /// <summary>A secret file provided by the client.</summary>
    Secret,
    /// <summary>An ssh agent socket forwarded from the client.</summary>
    Ssh,
}

/// <summary>How concurrent builds share a cache mount.</summary>
public enum CacheSharing
{
    /// <summary>All users mount the same directory at once.</summary>
    Shared,
    /// <summary>A concurrent user gets a fresh directory.</summary>
    Private,
    /// <summary>Concurrent users wait for each other.</summary>
    Locked,
}

/// <summary>
/// A filesystem visible to an exec. <see cref="Input"/> is an index into the vertex's inputs, or
/// -1 for none (scratch, tmpfs, secret). <see cref="Source"/> selects a path inside the input.
/// </summary>
public sealed record Mount(string Target, int Input = -1, string Source = "/", bool ReadOnly = false, MountType Type = MountType.Bind)
{
    /// <summary>Cache id (defaults to the target) for cache mounts.</summary>
    public string? CacheId { get; init; }

    /// <summary>Sharing mode for cache mounts.</summary>
    public CacheSharing Sharing { get; init; } = CacheSharing.Shared;

    /// <summary>Secret or ssh id.</summary>
    public string? SecretId { get; init; }

    /// <summary>For secrets: the environment variable to expose the value in, instead of a file.</summary>
    public string? SecretEnv { get; init; }

    /// <summary>For secrets and ssh: fail when the client does not provide it.</summary>
    public bool Required { get; init; }

    /// <summary>Permission bits for secret, ssh and cache mounts (null: the type's default).</summary>
    public int? Mode { get; init; }

    /// <summary>Owner uid for secret, ssh and cache mounts.</summary>
    public int? Uid { get; init; }

    /// <summary>Owner gid for secret, ssh and cache mounts.</summary>
    public int? Gid { get; init; }

    /// <summary>Tmpfs size limit in bytes (0: the default).</summary>
    public long TmpfsSize { get; init; }

    internal void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type", Type.ToString().ToLowerInvariant());
        writer.WriteString("target", Target);
        writer.WriteNumber("input", Input);
        writer.WriteString("source", Source);
        writer.WriteBoolean("readonly", ReadOnly);
        switch (Type)
        {
            case MountType.Cache:
                writer.WriteString("cacheId", CacheId ?? Target);
                writer.WriteString("sharing", Sharing.ToString().ToLowerInvariant());
                WriteOwnership(writer);
                break;
            case MountType.Secret:
            case MountType.Ssh:
                writer.WriteString("id", SecretId ?? "");
                if (SecretEnv is not null)
                {
                    writer.WriteString("env", SecretEnv);
                }
                writer.WriteBoolean("required", Required);
                WriteOwnership(writer);
                break;
            case MountType.Tmpfs:
                writer.WriteNumber("size", TmpfsSize);
                break;
        }
        writer.WriteEndObject();
    }

    private void WriteOwnership(Utf8JsonWriter writer)
    {
        if (Mode is { } mode)
        {
            writer.WriteNumber("mode", mode);
        }
        if (Uid is { } uid)
        {
            writer.WriteNumber("uid", uid);
        }
        if (Gid is { } gid)
        {
            writer.WriteNumber("gid", gid);
        }
    }
}
