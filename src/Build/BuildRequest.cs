using Builder.Exporter.Outputs;
using Builder.Solver;
using Builder.Solver.Definition;

namespace Builder.Build;

/// <summary>
/// One build, as the CLI (embedded) or the server (remote) hands it over: the Dockerfile, the
/// context already on this machine, and the docker/buildx options, parsed and checked.
/// </summary>
public sealed record BuildRequest
{
    /// <summary>The Dockerfile's text.</summary>
    public required string DockerfileText { get; init; }

    /// <summary>The name errors and history use (e.g. <c>Dockerfile</c> or <c>app/Dockerfile</c>).</summary>
    public required string DockerfileName { get; init; }

    /// <summary>The context folder; for remote builds, the server's copy of it.</summary>
    public required string ContextDirectory { get; init; }

    /// <summary>.dockerignore patterns still to apply (none when the client applied them already).</summary>
    public IReadOnlyList<string> ContextExcludes { get; init; } = [];

    /// <summary>--build-context values: NAME → docker-image://REF, oci-layout://PATH or a local folder (see <see cref="LocalContexts"/>).</summary>
    public IReadOnlyDictionary<string, string> NamedContexts { get; init; } = new Dictionary<string, string>();

    /// <summary>Local named contexts: NAME → folder.</summary>
    public IReadOnlyDictionary<string, string> LocalContexts { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Tags { get; init; } = [];

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public string? Target { get; init; }

    public bool NoCache { get; init; }

    public IReadOnlySet<string> NoCacheFilter { get; init; } = new HashSet<string>();

    /// <summary>--pull: always ask the registry about base images.</summary>
    public bool Pull { get; init; }

    /// <summary>The outputs; empty means the local image store under <see cref="Tags"/>.</summary>
    public IReadOnlyList<OutputSpec> Outputs { get; init; } = [];

    public ISecretSource? Secrets { get; init; }

    /// <summary>For a context whose files are still arriving (remote builds): steps that read it wait here; null: all there.</summary>
    public Builder.Solver.Sources.IContextAvailability? ContextAvailability { get; init; }

    public NetworkMode Network { get; init; } = NetworkMode.Default;

    /// <summary>Entitlements granted to this build (network.host, security.insecure).</summary>
    public IReadOnlySet<string> Allow { get; init; } = new HashSet<string>();

    /// <summary>SOURCE_DATE_EPOCH, when set: timestamps clamped, digests reproducible.</summary>
    public long? SourceDateEpoch { get; init; }

    /// <summary>Keep a failed step's state for <c>builder debug</c> (the default).</summary>
    public bool KeepFailedState { get; init; } = true;
}
