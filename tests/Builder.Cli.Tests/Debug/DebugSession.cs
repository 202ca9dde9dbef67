using System.Diagnostics;
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

/// <summary>
/// A process on a real pseudo-terminal: util-linux <c>script</c> gives the command a pty and copies this side's
/// pipe to it, so the command sees a terminal on stdin and stdout as a user's shell would.
/// </summary>
internal sealed class PtyProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _reader;

    public PtyProcess(string commandLine)
    {
        Capabilities.RequireTool("/usr/bin/script", "bsdutils");
        var start = new ProcessStartInfo("/usr/bin/script", ["-qfec", commandLine, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["TERM"] = "dumb";
        _process = Process.Start(start)!;
        _reader = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_output)
                {
                    _output.Append(buffer, 0, n);
                }
            }
        });
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async Task TypeAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails with the output so far after 60 s.</summary>
    public async Task WaitForAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited && _reader.IsCompleted && !Output.Contains(text, StringComparison.Ordinal))
            {
                Assert.Fail($"\"{text}\" never appeared; output so far:\n{Output}\nstderr:\n{(_process.HasExited ? await _process.StandardError.ReadToEndAsync() : "(running)")}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the process to end (60 s at most) and returns its exit code.</summary>
    public async Task<int> ExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        await _reader;
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
