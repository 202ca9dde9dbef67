using System.Diagnostics;
using Builder.Engine.Native;
using Builder.Engine.Tests.Support;

namespace Builder.Engine.Tests;

/// <summary>
/// The builder process SIGKILLed mid-run: the container's processes die with it (PR_SET_PDEATHSIG
/// chain, then pid namespace teardown), and the next engine start removes the leftover state
/// directory and cgroups.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class EngineKilledTests : IDisposable
{
    private readonly BusyboxRootfs _rootfs = BusyboxRootfs.Create();

    private string StateRoot => Path.Combine(_rootfs.Directory, "state");

    [Theory]
    [InlineData("native")]
    [InlineData("runc")]
    [InlineData("native:default")]
    [InlineData("runc:default")]
    public async Task Container_dies_with_a_killed_engine_and_the_next_start_removes_leftovers(string executor)
    {
        if (!executor.StartsWith("native", StringComparison.Ordinal))
        {
            OciRuntimes.Require(executor.Split(':')[0]);
        }
        var host = Path.Combine(AppContext.BaseDirectory, "Builder.Engine.TestHost.dll");
        using var engine = Process.Start(new ProcessStartInfo("dotnet", [host, StateRoot, _rootfs.Path, executor, "sh", "-c", "sleep 1000 & sleep 1000"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        int[] nats;
        try
        {
            // Wait until both sleeps run inside the container (sh execs the last one).
            await WaitUntil(() => ContainerProcesses().Count(p => p.Contains("(sleep)", StringComparison.Ordinal)) >= 2, TimeSpan.FromSeconds(20));
            Assert.Single(Directory.GetDirectories(StateRoot));
            nats = HostProcesses.DescendantsOf(engine.Id).Where(p => p.Name == "slirp4netns").Select(p => p.Pid).ToArray();
            Assert.Equal(executor.EndsWith(":default", StringComparison.Ordinal) ? 1 : 0, nats.Length);
        }
        finally
        {
            engine.Kill(entireProcessTree: false); // SIGKILL, the engine only
            await engine.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        await WaitUntil(() => ContainerProcesses().Length == 0, TimeSpan.FromSeconds(10));
        // The NAT dies with the engine too (PR_SET_PDEATHSIG, EOF on its exit fd).
        await WaitUntil(() => !nats.Any(pid => Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(10));
        var leftover = Assert.Single(Directory.GetDirectories(StateRoot));
        var id = Path.GetFileName(leftover);
        Assert.Contains(Directory.GetDirectories("/sys/fs/cgroup/pids/builder").Concat(Directory.Exists("/sys/fs/cgroup/builder") ? Directory.GetDirectories("/sys/fs/cgroup/builder") : []),
            d => Path.GetFileName(d) == id);

        // The next engine start sweeps the leftovers before its first container.
        var exit = await new NativeExecutor(new EngineOptions { StateRoot = StateRoot })
            .RunAsync(new ContainerSpec { RootFs = _rootfs.Path, Args = ["true"] }, ContainerIo.Null, TestContext.Current.CancellationToken);
        Assert.True(exit.Succeeded, exit.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(StateRoot));
        Assert.DoesNotContain(Directory.EnumerateDirectories("/sys/fs/cgroup").SelectMany(h => new[] { Path.Combine(h, "builder", id), Path.Combine("/sys/fs/cgroup/builder", id) }), Directory.Exists);
    }

    private string[] ContainerProcesses() =>
        HostSnapshot.ProcessesOf(_rootfs.Directory).Where(p => p.EndsWith(" in container", StringComparison.Ordinal)).ToArray();

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"condition not met within {timeout}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public void Dispose() => _rootfs.Dispose();
}
