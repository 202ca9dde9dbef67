using System.Text;

namespace Builder.Engine.Tests.Support;

/// <summary>A container's exit plus everything it wrote.</summary>
public sealed record RunResult(ContainerExit Exit, string Stdout, string Stderr)
{
    public static async Task<RunResult> RunAsync(IExecutor executor, ContainerSpec spec, CancellationToken cancellationToken = default, Stream? stdin = null)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        var exit = await executor.RunAsync(spec, new ContainerIo { Stdin = stdin, Stdout = stdout, Stderr = stderr }, cancellationToken);
        return new RunResult(exit, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    public override string ToString() => $"{Exit}\nstdout: {Stdout}\nstderr: {Stderr}";
}
