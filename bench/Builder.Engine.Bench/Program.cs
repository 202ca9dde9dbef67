using System.Diagnostics;
using Builder.Engine;
using Builder.Engine.Native;
using Builder.Engine.Oci;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// dotnet run -c Release --project bench/Builder.Engine.Bench -- [RUNS] [RUNTIME]   (RUNS 0: network modes only)
// Times RunAsync of `/bin/true` on a busybox rootfs, start to exit, native versus an OCI runtime,
// then network mode "none" against "default" (slirp4netns) on each.
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

    if (runs > 0) // 0: only the network modes
    {
        Console.WriteLine($"container start-to-exit of /bin/true, busybox rootfs, {runs} runs, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        Console.WriteLine("| executor | runs | median | p10 | p90 | min | CPU per run |");
        Report("native", await Measure(new NativeExecutor(options), spec, runs));
        Report(runtime, await Measure(new OciRuntimeExecutor(runtime, options), spec, Math.Max(20, runs / 4)));
    }

    // Network mode "default" adds slirp4netns per container; "none" is what --network=none gets.
    const int networkRuns = 50;
    Console.WriteLine();
    Console.WriteLine($"network modes: start-to-exit of /bin/true, {networkRuns} runs each (runc 20), alternating, load average {LoadAverage()}");
    Console.WriteLine("| executor, network | runs | median | p10 | p90 | min | CPU per run |");
    foreach (var (name, executor, count) in new (string, IExecutor, int)[]
    {
        ("native", new NativeExecutor(options), networkRuns),
        (runtime, new OciRuntimeExecutor(runtime, options), 20),
    })
    {
        var (none, @default) = await MeasurePair(executor, spec, spec with { Network = NetworkMode.Default }, count);
        Report($"{name}, none", none);
        Report($"{name}, default", @default);
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}

static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

static async Task<(double[] Wall, double CpuPerRun)> Measure(IExecutor executor, ContainerSpec spec, int runs)
{
    for (var i = 0; i < 5; i++)
    {
        await executor.RunAsync(spec, ContainerIo.Null); // warm-up (JIT, page cache)
    }
    var times = new double[runs];
    var cpuBefore = ChildrenCpu.Milliseconds();
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
    var cpu = (ChildrenCpu.Milliseconds() - cpuBefore) / runs;
    Array.Sort(times);
    return (times, cpu);
}

// Alternates the two specs run by run, so that load changes on a shared machine hit both alike.
static async Task<((double[], double), (double[], double))> MeasurePair(IExecutor executor, ContainerSpec first, ContainerSpec second, int runs)
{
    for (var i = 0; i < 5; i++)
    {
        await executor.RunAsync(first, ContainerIo.Null);
        await executor.RunAsync(second, ContainerIo.Null);
    }
    var times = new[] { new double[runs], new double[runs] };
    var cpu = new double[2];
    for (var i = 0; i < runs; i++)
    {
        for (var which = 0; which < 2; which++)
        {
            var cpuBefore = ChildrenCpu.Milliseconds();
            var clock = Stopwatch.StartNew();
            var exit = await executor.RunAsync(which == 0 ? first : second, ContainerIo.Null);
            times[which][i] = clock.Elapsed.TotalMilliseconds;
            cpu[which] += ChildrenCpu.Milliseconds() - cpuBefore;
            if (!exit.Succeeded)
            {
                throw new InvalidOperationException($"run {i} failed: {exit}");
            }
        }
    }
    Array.Sort(times[0]);
    Array.Sort(times[1]);
    return ((times[0], cpu[0] / runs), (times[1], cpu[1] / runs));
}

static void Report(string name, (double[] Wall, double CpuPerRun) result)
{
    var sorted = result.Wall;
    double At(double q) => sorted[(int)Math.Min(sorted.Length - 1, Math.Round(q * (sorted.Length - 1)))];
    Console.WriteLine($"| {name,-8} | {sorted.Length,5} | {At(0.5),8:F2} ms | {At(0.1),8:F2} ms | {At(0.9),8:F2} ms | {sorted[0],8:F2} ms | {result.CpuPerRun,6:F2} ms |");
}

/// <summary>
/// CPU time (user + system) of reaped child processes and their descendants, plus that of the
/// native executor's init zygote (a live child, whose own reaped helpers are counted in its
/// cutime/cstime): the container's own cost, independent of machine load.
/// </summary>
static unsafe partial class ChildrenCpu
{
    public static double Milliseconds()
    {
        var usage = stackalloc long[18]; // struct rusage; ru_utime and ru_stime are the first two timevals
        getrusage(-1 /* RUSAGE_CHILDREN */, usage);
        return (usage[0] + usage[2]) * 1000.0 + (usage[1] + usage[3]) / 1000.0 + ZygoteMilliseconds();
    }

    /// <summary>utime + stime + cutime + cstime of live builder-init children, from /proc (clock ticks of 10 ms).</summary>
    private static double ZygoteMilliseconds()
    {
        double total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var close = stat.LastIndexOf(')');
                if (!stat.AsSpan(0, close).EndsWith("(builder-init", StringComparison.Ordinal))
                {
                    continue;
                }
                var fields = stat[(close + 2)..].Split(' ');
                if (int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) != Environment.ProcessId)
                {
                    continue;
                }
                for (var i = 11; i <= 14; i++) // utime, stime, cutime, cstime
                {
                    total += long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture) * 10.0;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
            }
        }
        return total;
    }

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial int getrusage(int who, long* usage);
}
