using System.Diagnostics;
using Builder.Server.Hosting;
using Builder.TestSupport;

namespace Builder.Server.Tests.Debug;

/// <summary>
/// A test server over a unix socket and the <c>builder</c> CLI (the apphost beside the tests) run as a separate
/// process with <c>--host</c> against it, with the failing Dockerfile of the debugging tests: its third line writes
/// a file and then exits 3.
/// </summary>
internal sealed class RemoteDebugSession : IAsyncDisposable
{
    public const string PartialContent = "written-before-failure";

    private RemoteDebugSession(TestServer server, string baseImage, string scratch)
    {
        Server = server;
        BaseImage = baseImage;
        Scratch = scratch;
        Context = Path.Combine(scratch, "context");
        Directory.CreateDirectory(Context);
    }

    public TestServer Server { get; }

    public string BaseImage { get; }

    /// <summary>A folder on the client's side, removed at dispose.</summary>
    public string Scratch { get; }

    public string Context { get; }

    public string Host => "unix://" + Server.SocketPath;

    public string FailingDockerfile => $"""
        FROM {BaseImage}
        RUN mkdir -p /work && echo base > /work/base.txt
        RUN echo {PartialContent} > /work/partial.txt && exit 3
        """;

    public static async Task<RemoteDebugSession> StartAsync(params string[] allow)
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        var server = await TestServer.StartAsync(o => o with { Allow = new HashSet<string>(allow, StringComparer.Ordinal) });
        return new RemoteDebugSession(server, busybox, Directory.CreateTempSubdirectory("builder-remote-debug-").FullName);
    }

    public sealed record Result(int ExitCode, string Out, string Error);

    /// <summary>Runs <c>builder --host unix://SOCKET args...</c> with stdin at its end; fails the test after two minutes.</summary>
    public async Task<Result> RunAsync(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"builder {string.Join(' ', args)} did not finish in two minutes");
        }
        var result = new Result(process.ExitCode, await stdout, await stderr);
        TestContext.Current.TestOutputHelper?.WriteLine($"$ builder {string.Join(' ', args)} → {result.ExitCode}\n{result.Out}{result.Error}");
        return result;
    }

    /// <summary>Starts <c>builder --host unix://SOCKET args...</c> with stdin at its end and its output redirected.</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Executable(), ["--host", Host, .. args])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Remove("BUILDER_HOST");
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Builds the failing Dockerfile on the server (tagged app:broken) and returns the kept state's id.</summary>
    public async Task<string> BuildFailingAsync()
    {
        File.WriteAllText(Path.Combine(Context, "Dockerfile"), FailingDockerfile);
        var build = await RunAsync("build", "--progress", "plain", "-t", "app:broken", Context);
        Assert.Equal(1, build.ExitCode);
        var ls = await RunAsync("debug", "ls", "-q");
        Assert.Equal(0, ls.ExitCode);
        return Assert.Single(ls.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>The command line that runs the CLI against this server (for a pseudo-terminal).</summary>
    public string CommandLine(string args) => $"{Executable()} --host {Host} {args}";

    /// <summary>The table rows printed, cells split on runs of 3+ spaces.</summary>
    public static List<string[]> Table(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => System.Text.RegularExpressions.Regex.Split(line.TrimEnd(), " {3,}"))
        .ToList();

    private static string Executable()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "builder");
        Assert.True(File.Exists(path), $"{path} is missing: the CLI's apphost should be copied beside the tests");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }
}
