namespace Builder.Engine;

/// <summary>Runs one process tree in a container and returns how it ended.</summary>
public interface IExecutor
{
    /// <summary>
    /// Runs <paramref name="spec"/> to completion. Cancelling <paramref name="cancellationToken"/>
    /// kills every process of the container; the call then throws
    /// <see cref="OperationCanceledException"/> once everything is cleaned up. On return (or throw)
    /// no process, mount, cgroup or temporary directory of the container remains.
    /// </summary>
    Task<ContainerExit> RunAsync(ContainerSpec spec, ContainerIo io, CancellationToken cancellationToken = default);
}
