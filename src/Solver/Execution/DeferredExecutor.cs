using Builder.Engine;

namespace Builder.Solver.Execution;

/// <summary>
/// Creates the real executor on the first container run: a fully cached build never starts the
/// engine's init helper, which keeps warm rebuilds cheap.
/// </summary>
public sealed class DeferredExecutor(Func<IExecutor> create) : IExecutor
{
    private readonly Lazy<IExecutor> _executor = new(create, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<ContainerExit> RunAsync(ContainerSpec spec, ContainerIo io, CancellationToken cancellationToken = default) =>
        _executor.Value.RunAsync(spec, io, cancellationToken);
}
