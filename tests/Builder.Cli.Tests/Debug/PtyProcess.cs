using System.Diagnostics;
using System.Text;
using Builder.TestSupport;

namespace Builder.Cli.Tests.Debug;

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
