using System.Diagnostics;
using Builder.Snapshotter.Layers;

namespace Builder.Snapshotter.Tests.Bench;

/// <summary>
/// The issue-4 speed measurements against the reference tools, in one run on one machine:
/// <c>dotnet Builder.Snapshotter.Tests.dll --snap-bench /var/tmp/snap-bench</c>. Prints a markdown table.
/// </summary>
internal static class SnapshotterBench
{
    public const string Flag = "--snap-bench";

    private static readonly string[] UsrParts =
        ["sbin", "share/perl", "lib/x86_64-linux-gnu/perl", "lib/python3.11", "lib/git-core", "share/zoneinfo", "share/man/man1", "share/man/man3"];

    public static int Run(string[] args)
    {
        var work = args.Length > 0 ? args[0] : "/var/tmp/snap-bench";
        var runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }
        Directory.CreateDirectory(work);
        using var root = DataRoot.Open(Path.Combine(work, "root"));
        Console.WriteLine($"driver: {root.Snapshots.DriverName}, cores: {Environment.ProcessorCount}");

        // The ~280 MB upperdir: parts of this machine's Debian /usr plus 100 MB of random bytes.
        root.Snapshots.Prepare("tree-active", null);
        var fs = root.Snapshots.FsPath("tree-active");
        foreach (var part in UsrParts.Where(p => Directory.Exists("/usr/" + p)))
        {
            Sh($"mkdir -p {fs}/usr/{Path.GetDirectoryName(part)} && cp -a /usr/{part} {fs}/usr/{part}");
        }
        var usrBytes = long.Parse(Sh($"du -sb {fs}/usr | cut -f1").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Sh($"head -c 100M /dev/urandom > {fs}/random.bin");
        root.Snapshots.Commit("tree", "tree-active");
        var total = long.Parse(Sh($"du -sb {fs} | cut -f1").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var files = Sh($"find {fs} | wc -l").Trim();
        Console.WriteLine($"tree: {total / 1e6:F0} MB ({usrBytes / 1e6:F0} MB from /usr + 100 MB random), {files} entries");

        var ours = new List<double>();
        var oursFast = new List<double>();
        var pigz = new List<double>();
        long ourSize = 0, pigzSize = 0, fastSize = 0;
        for (var i = 0; i < runs; i++)
        {
            // A new SOURCE_DATE_EPOCH value each run is a new cache key: the layer really is recomputed.
            var sw = Stopwatch.StartNew();
            var layer = root.Layers.Export("tree", new LayerExportOptions { Compression = LayerCompression.Gzip, SourceDateEpoch = 4_000_000_000 + i });
            ours.Add(sw.Elapsed.TotalSeconds);
            ourSize = layer.Size;
            sw.Restart();
            var fast = root.Layers.Export("tree", new LayerExportOptions { Compression = LayerCompression.Gzip, Level = 1, SourceDateEpoch = 4_000_000_000 + i });
            oursFast.Add(sw.Elapsed.TotalSeconds);
            fastSize = fast.Size;
            sw.Restart();
            Sh($"tar -cf - -C {fs} . | pigz -6 > {work}/ref.tgz");
            pigz.Add(sw.Elapsed.TotalSeconds);
            pigzSize = new FileInfo($"{work}/ref.tgz").Length;
        }
        Console.WriteLine();
        Console.WriteLine("| measurement | ours | reference | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| diff + gzip -6 of the tree (median of {runs}) | {Median(ours):F2} s ({ourSize / 1e6:F0} MB) | `tar -c \\| pigz -6`: {Median(pigz):F2} s ({pigzSize / 1e6:F0} MB) | {Median(ours) / Median(pigz):F2}x |");
        Console.WriteLine($"| diff + gzip -1 of the tree (median of {runs}) | {Median(oursFast):F2} s ({fastSize / 1e6:F0} MB) | `tar -c \\| pigz -6`: {Median(pigz):F2} s | {Median(oursFast) / Median(pigz):F2}x |");

        // A base layer written by GNU tar (the /usr part, gzip) applied, against tar -xzf of the same file.
        var baseLayer = Path.Combine(work, "base.tgz");
        Sh($"tar --numeric-owner -czf {baseLayer} -C {fs} usr");
        var baseSize = new FileInfo(baseLayer).Length;
        var apply = new List<double>();
        var untar = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            using (var blob = File.OpenRead(baseLayer))
            {
                root.Layers.Apply(blob, null, $"applied-{i}");
            }
            apply.Add(sw.Elapsed.TotalSeconds);
            var dest = Path.Combine(work, $"untar-{i}");
            Directory.CreateDirectory(dest);
            sw.Restart();
            Sh($"tar -xzf {baseLayer} -C {dest}");
            untar.Add(sw.Elapsed.TotalSeconds);
            root.Snapshots.Remove($"applied-{i}");
            Directory.Delete(dest, recursive: true);
        }
        Console.WriteLine($"| apply a {baseSize / 1e6:F0} MB gzip layer (median of {runs}) | {Median(apply):F2} s | `tar -xzf`: {Median(untar):F2} s | {Median(apply) / Median(untar):F2}x |");

        // Checksum of a 2,000-file, 25 MB context: cold (nothing cached) and warm (unchanged).
        var ctx = Path.Combine(work, "ctx");
        var data = new byte[12_500];
        for (var i = 0; i < 2000; i++)
        {
            Random.Shared.NextBytes(data);
            var dir = Path.Combine(ctx, "d" + (i % 50));
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, $"f{i}.bin"), data);
        }
        var cold = Stopwatch.StartNew();
        var sum = root.Checksums.Checksum(ctx, ["."]);
        cold.Stop();
        var warm = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            if (root.Checksums.Checksum(ctx, ["."]) != sum)
            {
                throw new InvalidOperationException("warm checksum differs");
            }
            warm.Add(sw.Elapsed.TotalMilliseconds);
        }
        root.Checksums.DropMemory();
        var restart = Stopwatch.StartNew();
        root.Checksums.Checksum(ctx, ["."]);
        restart.Stop();
        var sha = Stopwatch.StartNew();
        Sh($"find {ctx} -type f -print0 | xargs -0 sha256sum > /dev/null");
        sha.Stop();
        Console.WriteLine($"| checksum 2,000 files / 25 MB, cold | {cold.Elapsed.TotalMilliseconds:F0} ms | `sha256sum` of all files: {sha.Elapsed.TotalMilliseconds:F0} ms | {cold.Elapsed.TotalMilliseconds / sha.Elapsed.TotalMilliseconds:F2}x |");
        Console.WriteLine($"| checksum, warm (unchanged; median of 5) | {Median(warm):F1} ms | target ≤ 20 ms | |");
        Console.WriteLine($"| checksum after a restart (digests from the db) | {restart.Elapsed.TotalMilliseconds:F0} ms | | |");
        Console.WriteLine($"load average during the run: {File.ReadAllText("/proc/loadavg").Trim()}");
        Directory.Delete(work, recursive: true);
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string Sh(string command)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("set -o pipefail; " + command);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' exited {p.ExitCode}");
        }
        return output;
    }
}
