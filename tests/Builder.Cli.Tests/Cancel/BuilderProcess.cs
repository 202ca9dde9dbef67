using System.Diagnostics;
using System.Text;

namespace Builder.Cli.Tests.Cancel;

/// <summary>
/// The real <c>./builder</c> (the NativeAOT CLI, built by the entry script when out of date) as a
/// child process with its output captured line by line, so a test can wait for a line and send it
/// signals as a terminal's Ctrl-C would.
/// </summary>
internal sealed class BuilderProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _lock = new();

    private BuilderProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>stdout and stderr, interleaved as they arrived.</summary>
    public string Output
    {
        get
        {
            lock (_lock)
            {
                return _output.ToString();
            }
        }
    }

    public int Id => _process.Id;

    public static BuilderProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo(EntryScript())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return new BuilderProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start ./builder"));
    }

    /// <summary>The repository's <c>builder</c> entry script, found above the test's output directory.</summary>
    public static string EntryScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "builder");
            if (File.Exists(script) && File.Exists(Path.Combine(dir.FullName, "Builder.sln")))
            {
                return script;
            }
        }
        throw new InvalidOperationException($"no builder entry script above {AppContext.BaseDirectory}");
    }

    /// <summary>Waits until the output has <paramref name="text"/>; fails if the process ends first.</summary>
    public async Task WaitForOutputAsync(string text, CancellationToken cancellationToken)
    {
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output
                Assert.Fail($"builder exited ({_process.ExitCode}) before printing \"{text}\":\n{Output}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Sends SIGINT, as Ctrl-C on the terminal does.</summary>
    /// <param name="mayHaveExited">A repeated Ctrl-C: the process may already be gone, which is no failure.</param>
    public void Interrupt(bool mayHaveExited = false)
    {
        using var kill = Process.Start("kill", ["-s", "INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0 || (mayHaveExited && _process.HasExited), $"kill -s INT {_process.Id} failed");
    }

    /// <summary>Waits for the exit; a hang guard of a few minutes fails the test (the process is then killed).</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        guard.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await _process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"builder did not exit after the interrupt:\n{Output}");
        }
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lock)
        {
            _output.Append(line).Append('\n');
        }
    }
}
