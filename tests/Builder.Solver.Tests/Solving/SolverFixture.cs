using Builder.Engine;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Snapshotter;
using Builder.Solver.Definition;
using Builder.Solver.Progress;
using Builder.Solver.Scheduling;
using Builder.Solver.Sources;
using Builder.Frontend.Conversion;
using Builder.Frontend.Parser;
using Builder.TestSupport;
using System.Collections.Concurrent;

namespace Builder.Solver.Tests.Solving;

/// <summary>
/// A data root with a busybox-static base image as a committed snapshot, a native executor, and
/// helpers to convert and solve Dockerfiles against a context folder.
/// </summary>
public sealed class SolverFixture : IDisposable
{

    public SolverFixture()
    {
        Capabilities.RequireRoot();
        Directory = System.IO.Directory.CreateTempSubdirectory("solver-test-").FullName;
        Context = System.IO.Path.Combine(Directory, "context");
        System.IO.Directory.CreateDirectory(Context);
        Root = DataRoot.Open(System.IO.Path.Combine(Directory, "root"));
        Executor = Executors.Create(null, new EngineOptions { StateRoot = System.IO.Path.Combine(Directory, "engine") });
        Solver = new BuildSolver(Root, Executor);
        Images = new SnapshotImages(Root);
    }

    public string Directory { get; }

    public string Context { get; }

    public DataRoot Root { get; }

    public IExecutor Executor { get; }

    public BuildSolver Solver { get; }

    public SnapshotImages Images { get; }

    public string WriteContext(string relative, string content)
    {
        var path = System.IO.Path.Combine(Context, relative);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Converts <paramref name="dockerfile"/> and solves it; returns the result and every progress event.</summary>
    public async Task<(SolveResult Result, RecordingProgress Progress)> BuildAsync(string dockerfile, SolveOptions? options = null, ConvertOptions? convert = null)
    {
        var images = new MemoizedImageSource(Images);
        var ast = DockerfileParser.Parse(dockerfile);
        var conversion = await DockerfileConverter.ConvertAsync(ast, (convert ?? new ConvertOptions()) with { ImageResolver = new Resolver(images) });
        var progress = new RecordingProgress();
        var result = await Solver.SolveAsync(conversion.Definition!, (options ?? new SolveOptions()) with
        {
            LocalDirs = new Dictionary<string, string> { ["context"] = Context },
            Images = images,
            SourceFile = "Dockerfile",
            SourceLines = dockerfile.Split('\n'),
        }, progress);
        return (result, progress);
    }

    /// <summary>Reads a file of a committed snapshot through a read-only view.</summary>
    public string? ReadFile(string snapshot, string path)
    {
        var key = "test-view/" + Guid.NewGuid().ToString("N");
        var target = System.IO.Directory.CreateTempSubdirectory("solver-view-").FullName;
        var mounts = Root.Snapshots.View(key, snapshot);
        try
        {
            using var tree = Snapshotter.Mounts.MountedTree.Mount(mounts, target);
            var full = System.IO.Path.Combine(target, path.TrimStart('/'));
            return File.Exists(full) ? File.ReadAllText(full) : null;
        }
        finally
        {
            Root.Snapshots.Remove(key);
            System.IO.Directory.Delete(target);
        }
    }

    public void Dispose()
    {
        (Executor as IDisposable)?.Dispose();
        Root.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private sealed class Resolver(IImageSource images) : IImageResolver
    {
        public async Task<ResolvedImage> ResolveAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken)
        {
            var image = await images.GetAsync(reference, platform, PullPolicy.Default, null, cancellationToken);
            return new ResolvedImage(reference, image.ManifestDigest, image.Config);
        }
    }
}

/// <summary>"busybox" as a committed snapshot made from Debian's busybox-static; any other name is unknown.</summary>
public sealed class SnapshotImages(DataRoot root) : IImageSource
{
    private string? _snapshot;
    public int Calls;

    public Task<SourceImage> GetAsync(ImageReference reference, Platform platform, PullPolicy policy, Action<string>? warn, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        if (reference.Repository != "library/busybox")
        {
            throw new InvalidOperationException($"image {reference} not found");
        }
        _snapshot ??= Create();
        var config = new ImageConfig
        {
            Architecture = platform.Architecture,
            Os = platform.Os,
            Config = new ContainerConfig { Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd = ["sh"] },
        };
        return Task.FromResult(new SourceImage(reference, "sha256:" + new string('b', 64), config, _snapshot));
    }

    private string Create()
    {
        var target = System.IO.Directory.CreateTempSubdirectory("solver-base-").FullName;
        root.Snapshots.Prepare("test/busybox-active", null);
        using (var tree = Snapshotter.Mounts.MountedTree.Mount(root.Snapshots.Mounts("test/busybox-active"), target))
        {
            System.IO.Directory.CreateDirectory(Path.Combine(target, "bin"));
            System.IO.Directory.CreateDirectory(Path.Combine(target, "etc"));
            System.IO.Directory.CreateDirectory(Path.Combine(target, "tmp"));
            File.Copy("/bin/busybox", Path.Combine(target, "bin/busybox"));
            foreach (var applet in new[] { "sh", "echo", "cat", "ls", "touch", "mkdir", "rm", "sleep", "find", "wc", "true", "false", "env", "id", "test", "printf", "ln", "mkfifo", "stat", "head" })
            {
                File.CreateSymbolicLink(Path.Combine(target, "bin", applet), "busybox");
            }
            File.WriteAllText(Path.Combine(target, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
            File.WriteAllText(Path.Combine(target, "etc/group"), "root:x:0:\nalice:x:1000:\n");
        }
        System.IO.Directory.Delete(target);
        root.Snapshots.Commit("test/busybox", "test/busybox-active");
        return "test/busybox";
    }
}

/// <summary>Keeps every progress event, thread-safely.</summary>
public sealed class RecordingProgress : IProgressSink
{
    public ConcurrentQueue<ProgressEvent> Events { get; } = new();

    public void Report(ProgressEvent progress) => Events.Enqueue(progress);

    /// <summary>Final states by vertex name.</summary>
    public IReadOnlyDictionary<string, VertexState> Finals() => Events.OfType<VertexStatus>()
        .Where(s => s.State != VertexState.Running)
        .GroupBy(s => s.Name)
        .ToDictionary(g => g.Key, g => g.Last().State);

    public string Log() => string.Concat(Events.OfType<VertexLog>().Select(l => System.Text.Encoding.UTF8.GetString(l.Data.Span)));
}
