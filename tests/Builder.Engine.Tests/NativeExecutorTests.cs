using Builder.Engine.Native;

namespace Builder.Engine.Tests;

/// <summary>The shared behaviour suite on the native executor.</summary>
public sealed class NativeExecutorTests : ExecutorBehaviour
{
    protected override bool CommandIsPid1 => false;

    protected override IExecutor CreateExecutor(EngineOptions options) => new NativeExecutor(options);
}
