using Builder.Engine.Native;

namespace Builder.Engine.Tests;

/// <summary>The shared behaviour suite on the native executor.</summary>
public sealed class NativeExecutorTests : ExecutorBehaviour
{
    protected override bool CommandIsPid1 => false;

    protected override IExecutor CreateExecutor(EngineOptions options) => new NativeExecutor(options);

    [Fact]
    public async Task Init_reaps_orphaned_zombies()
    {
        // The inner shell exits at once; its sleep children are re-parented to PID 1 (our init),
        // which must reap them when they exit, or they stay zombies ("Z") in the namespace.
        var result = await RunAsync(Shell("sh -c 'sleep 0.1 & sleep 0.1 & exit 0'; sleep 1; grep -l '^State:.*Z' /proc/[0-9]*/status | wc -l; cat /proc/1/status | grep -c builder-init"));
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("0\n1\n", result.Stdout);
    }
}
