using Builder.Engine;
using Builder.Engine.Native;
using Builder.Engine.Oci;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Builder.Engine.TestHost STATE-ROOT ROOTFS native|runc ARGS...
// Runs one container with a pids limit (so it has a cgroup) and prints its exit.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: Builder.Engine.TestHost STATE-ROOT ROOTFS native|runc ARGS...");
    return 2;
}
var options = new EngineOptions { StateRoot = args[0] };
IExecutor executor = args[2] == "native" ? new NativeExecutor(options) : new OciRuntimeExecutor(args[2], options);
var spec = new ContainerSpec { RootFs = args[1], Args = args[3..], Limits = new ResourceLimits(Pids: 50) };
var exit = await executor.RunAsync(spec, ContainerIo.Null);
Console.WriteLine(exit);
return 0;
