namespace Builder.Engine;

/// <summary>Where the engine keeps per-container state and finds its init helper.</summary>
public sealed record EngineOptions
{
    /// <summary>Per-container state (config, /etc files, OCI bundles); on tmpfs so a reboot clears it.</summary>
    public string StateRoot { get; init; } = "/run/builder/engine";

    /// <summary>The NativeAOT init helper; by default "builder-init" beside Builder.Engine.dll.</summary>
    public string InitPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "builder-init");

    /// <summary>slirp4netns, the user-mode NAT of network mode "default"; null looks it up in PATH at each run.</summary>
    public string? Slirp4netnsPath { get; init; }
}
