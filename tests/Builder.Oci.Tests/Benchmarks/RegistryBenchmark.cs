#:project ../../../src/Oci/Builder.Oci.csproj
#:property TreatWarningsAsErrors=true
#:property PublishAot=false

// Push and pull of a one-layer ~63 MB image to a local docker-registry: our client versus skopeo copy.
// Usage: dotnet run -c Release tests/Builder.Oci.Tests/Benchmarks/RegistryBenchmark.cs -- [runs] [layer MB]
// Each run uses a fresh random layer and fresh repositories, so neither tool can skip or mount blobs.
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;

var runs = args.Length > 0 ? int.Parse(args[0]) : 3;
var megabytes = args.Length > 1 ? int.Parse(args[1]) : 63;
var work = Directory.CreateTempSubdirectory("builder-bench-").FullName;
var port = FreePort();
var host = $"127.0.0.1:{port}";
File.WriteAllText(Path.Combine(work, "config.yml"), $"""
    version: 0.1
    log:
      level: error
      accesslog:
        disabled: true
    storage:
      filesystem:
        rootdirectory: {work}/storage
    http:
      addr: {host}
    """);
using var registry = Process.Start(new ProcessStartInfo("docker-registry", ["serve", Path.Combine(work, "config.yml")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
registry.BeginErrorReadLine();
registry.BeginOutputReadLine();
using (var http = new HttpClient())
{
    for (var i = 0; ; i++)
    {
        try
        {
            (await http.GetAsync($"http://{host}/v2/")).EnsureSuccessStatusCode();
            break;
        }
        catch (HttpRequestException) when (i < 200)
        {
            await Task.Delay(50);
        }
    }
}

var results = new List<(string Name, double Seconds)>();
try
{
    for (var run = 0; run < runs; run++)
    {
        var layout = MakeLayout(Path.Combine(work, $"layout-{run}"), megabytes);
        var size = new FileInfo(layout.LayerPath).Length;
        Console.WriteLine($"run {run + 1}: layer {size / 1e6:0.0} MB");

        // skopeo: OCI layout -> registry -> OCI layout
        var repoS = $"bench/skopeo-{run}";
        results.Add(("skopeo push", Time(() => Run("skopeo", "copy", "--insecure-policy", "--dest-tls-verify=false", $"oci:{layout.Dir}:v1", $"docker://{host}/{repoS}:v1"))));
        results.Add(("skopeo pull", Time(() => Run("skopeo", "copy", "--insecure-policy", "--src-tls-verify=false", $"docker://{host}/{repoS}:v1", $"oci:{Path.Combine(work, $"skopeo-pull-{run}")}:v1"))));

        // ours: the same blobs from the same files, streamed
        var layout2 = MakeLayout(Path.Combine(work, $"layout-ours-{run}"), megabytes);
        var repoO = $"bench/ours-{run}";
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance });
        var repository = client.GetRepository(host, repoO);
        results.Add(("builder push", await TimeAsync(async () =>
        {
            await using (var layer = File.OpenRead(layout2.LayerPath))
            {
                await repository.Uploads.PushAsync(layout2.Manifest.Manifest!.Layers[0], layer);
            }
            await repository.Uploads.PushAsync(MediaTypes.OciConfig, layout2.ConfigBytes);
            await repository.Manifests.PutAsync(layout2.Manifest, "v1");
        })));
        var pullDir = Directory.CreateDirectory(Path.Combine(work, $"ours-pull-{run}")).FullName;
        results.Add(("builder pull", await TimeAsync(async () =>
        {
            var resolved = await repository.ResolveImageAsync("v1", new Platform("linux", "amd64"));
            foreach (var layer in resolved.Manifest.Layers)
            {
                await repository.Blobs.DownloadAsync(layer, Path.Combine(pullDir, layer.Digest.Hex));
            }
        })));
        if (!File.ReadAllBytes(Path.Combine(pullDir, layout2.Manifest.Manifest!.Layers[0].Digest.Hex)).AsSpan().SequenceEqual(File.ReadAllBytes(layout2.LayerPath)))
        {
            throw new InvalidOperationException("pulled layer differs");
        }
        Directory.Delete(layout.Dir, true);
        Directory.Delete(layout2.Dir, true);
    }
    Console.WriteLine();
    Console.WriteLine("| operation | median s | min s | max s |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var group in results.GroupBy(r => r.Name))
    {
        var times = group.Select(g => g.Seconds).Order().ToArray();
        Console.WriteLine($"| {group.Key} | {times[times.Length / 2]:0.00} | {times[0]:0.00} | {times[^1]:0.00} |");
    }
}
finally
{
    registry.Kill(true);
    registry.WaitForExit();
    Directory.Delete(work, true);
}

static (string Dir, string LayerPath, byte[] ConfigBytes, ManifestDocument Manifest) MakeLayout(string dir, int megabytes)
{
    var blobs = Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256")).FullName;
    var temp = Path.Combine(dir, "layer.tmp");
    using (var file = File.Create(temp))
    using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
    {
        // A tar with one file of random bytes: incompressible, like a real compressed layer.
        var header = new byte[512];
        Encoding.ASCII.GetBytes("data.bin").CopyTo(header, 0);
        var size = (long)megabytes * 1000 * 1000;
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(header, 100);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header, 108);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header, 116);
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(11, '0') + "\0").CopyTo(header, 124);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(header, 136);
        header[156] = (byte)'0';
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(header, 257);
        Encoding.ASCII.GetBytes("        ").CopyTo(header, 148);
        var sum = header.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        gzip.Write(header);
        var chunk = new byte[1 << 20];
        for (long written = 0; written < size; written += chunk.Length)
        {
            RandomNumberGenerator.Fill(chunk);
            gzip.Write(chunk, 0, (int)Math.Min(chunk.Length, size - written));
        }
        gzip.Write(new byte[512 - (int)(size % 512 == 0 ? 512 : size % 512) + 1024]);
    }
    Digest layerDigest;
    using (var file = File.OpenRead(temp))
    {
        layerDigest = Digest.FromSha256Bytes(SHA256.HashData(file));
    }
    var layerPath = Path.Combine(blobs, layerDigest.Hex);
    File.Move(temp, layerPath);
    var config = Encoding.UTF8.GetBytes($$$$"""{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["{{{{Digest.Sha256Of([(byte)megabytes])}}}}"]}}""");
    var configDigest = Digest.Sha256Of(config);
    File.WriteAllBytes(Path.Combine(blobs, configDigest.Hex), config);
    var manifest = ManifestDocument.From(new ImageManifest
    {
        Config = new Descriptor(MediaTypes.OciConfig, configDigest, config.Length),
        Layers = [new Descriptor(MediaTypes.OciLayerGzip, layerDigest, new FileInfo(layerPath).Length)],
    });
    File.WriteAllBytes(Path.Combine(blobs, manifest.Digest.Hex), manifest.Bytes.ToArray());
    File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    File.WriteAllText(Path.Combine(dir, "index.json"), $$$$"""{"schemaVersion":2,"manifests":[{"mediaType":"{{{{MediaTypes.OciManifest}}}}","digest":"{{{{manifest.Digest}}}}","size":{{{{manifest.Bytes.Length}}}},"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}""");
    return (dir, layerPath, config, manifest);
}

static double Time(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalSeconds;
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var watch = Stopwatch.StartNew();
    await action();
    return watch.Elapsed.TotalSeconds;
}

static void Run(string file, params string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
    var stderr = process.StandardError.ReadToEndAsync();
    process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} failed: {stderr.Result}");
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
