using Builder.Engine.Native;
using Builder.Engine.Oci;

namespace Builder.Engine;

/// <summary>Picks the executor for <c>--runtime</c>: the native one by default, else an OCI runtime.</summary>
public static class Executors
{
    /// <param name="runtime">null, "" or "native" for the native executor; "runc", "crun" or a path for an OCI runtime.</param>
    public static IExecutor Create(string? runtime = null, EngineOptions? options = null) =>
        string.IsNullOrEmpty(runtime) || runtime == "native"
            ? new NativeExecutor(options)
            : new OciRuntimeExecutor(runtime, options);
}
