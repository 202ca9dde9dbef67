using Builder.Exporter.Store;
using Builder.Server.Builds;
using Builder.Server.Context;
using Builder.Snapshotter;
using Builder.Solver.Scheduling;

namespace Builder.Server.Hosting;

/// <summary>What every call of one server shares: the store, the one solver (cross-build dedupe), the build gate and the context copies.</summary>
internal sealed class ServerState(ServerOptions options, DataRoot root, BuildSolver solver)
{
    public ServerOptions Options { get; } = options;

    public DataRoot Root { get; } = root;

    public ImageStore Images { get; } = new(root);

    public BuildSolver Solver { get; } = solver;

    public BuildGate Gate { get; } = new(options.MaxConcurrentBuilds);

    public ContextCopies Contexts { get; } = new(root.Path);

    /// <summary>Bytes of context file content received, over all builds (for tests and logs).</summary>
    public long ContextBytesReceived;
}
