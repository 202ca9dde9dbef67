using System.Diagnostics;
using Builder.Engine;
using Builder.Engine.Native;
using Builder.Engine.Oci;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// dotnet run -c Release --project bench/Builder.Engine.Bench -- [RUNS] [RUNTIME]
// Times RunAsync of `/bin/true` on a busybox rootfs, start to exit, native versus an OCI runtime.
var runs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200;
var runtime = args.Length > 1 ? args[1] : "runc";

var dir = Directory.CreateTempSubdirectory("engine-bench-").FullName;
try
{
    var rootfs = Path.Combine(dir, "rootfs");
    Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
    File.Copy("/bin/busybox", Path.Combine(rootfs, "bin", "busybox"));
    File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "true"), "busybox");
    var spec = new ContainerSpec { RootFs = rootfs, Args = ["/bin/true"] };
    var options = new EngineOptions(); // the default state root, /run/builder/engine, as a build uses it

    Console.WriteLine($"container start-to-exit of /bin/true, busybox rootfs, {runs} runs each, {Environment.ProcessorCount} cores");
    Report("native", await Measure(new NativeExecutor(options), spec, runs));
    Report(runtime, await Measure(new OciRuntimeExecutor(runtime, options), spec, Math.Max(20, runs / 4)));
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static async Task<double[]> Measure(IExecutor executor, ContainerSpec spec, int runs)
{
    for (var i = 0; i < 5; i++)
    {
        await executor.RunAsync(spec, ContainerIo.Null); // warm-up (JIT, page cache)
    }
    var times = new double[runs];
    for (var i = 0; i < runs; i++)
    {
        var clock = Stopwatch.StartNew();
        var exit = await executor.RunAsync(spec, ContainerIo.Null);
        times[i] = clock.Elapsed.TotalMilliseconds;
        if (!exit.Succeeded)
        {
            throw new InvalidOperationException($"run {i} failed: {exit}");
        }
    }
    Array.Sort(times);
    return times;
}

static void Report(string name, double[] sorted)
{
    double At(double q) => sorted[(int)Math.Min(sorted.Length - 1, Math.Round(q * (sorted.Length - 1)))];
    Console.WriteLine($"| {name,-8} | {sorted.Length,5} | {At(0.5),8:F2} ms | {At(0.1),8:F2} ms | {At(0.9),8:F2} ms | {sorted[0],8:F2} ms |");
}
