using System.Text;
using Builder.TestSupport;

namespace Builder.Cli.Tests.Debug;

/// <summary>
/// A data root of its own, the CLI run in-process against it (standard output captured as bytes too), and
/// the Dockerfiles of the debugging tests: one whose third line writes a file and then fails with exit code 3.
/// </summary>
internal sealed class DebugSession : IDisposable
{
    public const string PartialContent = "written-before-failure";

    private readonly TempDir _dir = new();

    private DebugSession(string baseImage)
    {
        BaseImage = baseImage;
        Root = Path.Combine(_dir.Path, "root");
        Context = Path.Combine(_dir.Path, "context");
        Directory.CreateDirectory(Context);
    }

    public string BaseImage { get; }

    public string Root { get; }

    public string Context { get; }

    public string Scratch => _dir.Path;

    /// <summary>Line 3 writes /work/partial.txt, then exits 3.</summary>
    public string FailingDockerfile => $"""
        FROM {BaseImage}
        RUN mkdir -p /work && echo base > /work/base.txt
        RUN echo {PartialContent} > /work/partial.txt && exit 3
        """;

    /// <summary>The same with line 3 fixed.</summary>
    public string CorrectedDockerfile => $"""
        FROM {BaseImage}
        RUN mkdir -p /work && echo base > /work/base.txt
        RUN echo {PartialContent} > /work/partial.txt
        """;

    public static async Task<DebugSession> CreateAsync()
    {
        Capabilities.RequireRoot();
        return new DebugSession(await BusyboxImage.ReferenceAsync());
    }

    public sealed record Result(int ExitCode, string Out, string Error, byte[] Stdout)
    {
        public string StdoutText => Encoding.UTF8.GetString(Stdout);
    }

    /// <summary>Runs <c>builder --root ROOT args...</c> in-process.</summary>
    public Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var stdout = new MemoryStream();
        var code = Program.Run(["--root", Root, .. args], new CliContext(new StringReader(""), output, error, stdout, new MemoryStream()));
        return new Result(code, output.ToString(), error.ToString(), stdout.ToArray());
    }

    /// <summary>Builds <paramref name="dockerfile"/> with plain progress and the given extra arguments.</summary>
    public Result Build(string dockerfile, params string[] args)
    {
        File.WriteAllText(Path.Combine(Context, "Dockerfile"), dockerfile);
        return Run(["build", "--progress", "plain", .. args, Context]);
    }

    /// <summary>Builds the failing Dockerfile and returns the kept state's id (the newest in <c>debug ls</c>).</summary>
    public string BuildFailing(params string[] args)
    {
        var build = Build(FailingDockerfile, args);
        Assert.Equal(1, build.ExitCode);
        var ls = Run("debug", "ls", "-q");
        Assert.Equal(0, ls.ExitCode);
        var id = ls.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).First();
        Assert.Contains($"builder debug shell {id}", build.Error, StringComparison.Ordinal);
        return id;
    }

    /// <summary>The table rows <c>builder debug ls</c> or <c>builder history</c> printed, cells split on runs of 3+ spaces.</summary>
    public static List<string[]> Table(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => System.Text.RegularExpressions.Regex.Split(line.TrimEnd(), " {3,}"))
        .ToList();

    /// <summary>The <c>builder</c> apphost next to the tests (the CLI project is referenced, so it is copied here).</summary>
    public static string BuilderExecutable()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "builder");
        Assert.True(File.Exists(path), $"{path} is missing: the CLI's apphost should be copied beside the tests");
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
