using Builder.Oci.Image;
using Builder.Solver.Definition;
using Builder.Solver.Sources;

namespace Builder.Solver;

/// <summary>What a caller decides about one solve: where sources come from, what is allowed, what is forced.</summary>
public sealed record SolveOptions
{
    /// <summary>Host directories of local sources, by source identifier (<c>context</c>, <c>context:NAME</c>).</summary>
    public IReadOnlyDictionary<string, string> LocalDirs { get; init; } = new Dictionary<string, string>();

    /// <summary>Where base images come from; null makes every image source an error.</summary>
    public IImageSource? Images { get; init; }

    public PullPolicy PullPolicy { get; init; } = PullPolicy.Default;

    public Platform Platform { get; init; } = Platform.Host;

    /// <summary>Run every exec and file op even when a cache record exists (--no-cache).</summary>
    public bool NoCache { get; init; }

    /// <summary>The network of RUN steps that did not ask for one (--network on the command line).</summary>
    public NetworkMode DefaultNetwork { get; init; } = NetworkMode.Default;

    /// <summary>Entitlement network.host: RUN --network=host (or --network=host for the build) is refused without it.</summary>
    public bool AllowNetworkHost { get; init; } = true;

    /// <summary>Entitlement security.insecure: RUN --security=insecure is refused without it.</summary>
    public bool AllowInsecure { get; init; }

    /// <summary>Secret values by id; asked only when a step mounts the secret.</summary>
    public ISecretSource? Secrets { get; init; }

    /// <summary>Waits for local source files still arriving (a remote build's context); null: all are there.</summary>
    public IContextAvailability? ContextAvailability { get; init; }

    /// <summary>
    /// How many ops run at once. The default is twice the cores: RUN steps often wait (downloads,
    /// sleeps, I/O) rather than compute, and three independent stages on two cores should not queue.
    /// </summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount * 2;

    /// <summary>The Dockerfile's path as the user named it and its lines, for failure reports.</summary>
    public string? SourceFile { get; init; }

    public IReadOnlyList<string> SourceLines { get; init; } = [];

    /// <summary>Keep a failed step's filesystem and command for debugging (the default).</summary>
    public bool KeepFailedState { get; init; } = true;
}

/// <summary>Secret values by id; implementations may fetch them from a remote client.</summary>
public interface ISecretSource
{
    /// <summary>The secret's bytes, or null when the caller has no secret of that id.</summary>
    ValueTask<byte[]?> GetAsync(string id, CancellationToken cancellationToken);
}
