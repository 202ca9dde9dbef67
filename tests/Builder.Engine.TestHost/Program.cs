using Builder.Engine;
using Builder.Engine.Native;
using Builder.Engine.Oci;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Builder.Engine.TestHost STATE-ROOT ROOTFS native|runc[:default] ARGS...
// Runs one container with a pids limit (so it has a cgroup) and prints its exit; ":default"
// gives it network mode default (slirp4netns) instead of none.
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: Builder.Engine.TestHost STATE-ROOT ROOTFS native|runc[:default] ARGS...");
    return 2;
}
var options = new EngineOptions { StateRoot = args[0] };
var (runtime, network) = args[2].Split(':') is [var name, "default"] ? (name, NetworkMode.Default) : (args[2], NetworkMode.None);
IExecutor executor = runtime == "native" ? new NativeExecutor(options) : new OciRuntimeExecutor(runtime, options);
var spec = new ContainerSpec { RootFs = args[1], Args = args[3..], Limits = new ResourceLimits(Pids: 50), Network = network };
var exit = await executor.RunAsync(spec, ContainerIo.Null);
Console.WriteLine(exit);
return 0;
