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

    /// <summary>
    /// A command line that runs <paramref name="commandLine"/> on the pty and, once <paramref name="flag"/> exists,
    /// writes the pty's modes (<c>stty -a</c>) to <paramref name="report"/>: how a test sees what the command did to
    /// its terminal.
    /// </summary>
    public static string ReportingTerminalModes(string commandLine, string flag, string report) =>
        $"(while [ ! -e {flag} ]; do sleep 0.1; done; stty -a < /dev/tty > {report}.part && mv {report}.part {report}) & exec {commandLine}";

    /// <summary>Creates <paramref name="flag"/> and returns the modes the command started by <see cref="ReportingTerminalModes"/> left.</summary>
    public static async Task<string> TerminalModesAsync(string flag, string report)
    {
        File.WriteAllText(flag, "");
        for (var i = 0; i < 300 && !File.Exists(report); i++)
        {
            await Task.Delay(50);
        }
        return File.ReadAllText(report);
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
