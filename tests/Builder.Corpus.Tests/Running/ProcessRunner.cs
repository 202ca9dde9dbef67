using System.Diagnostics;
using System.Text;

namespace Builder.Corpus.Tests.Running;

/// <summary>The outcome of a finished process.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string Out, string Error)
{
    public string Describe() =>
        $"`{Command}` exited {ExitCode}\n--- stderr ---\n{Tail(Error)}\n--- stdout ---\n{Tail(Out)}";

    private static string Tail(string text)
    {
        var lines = text.Split('\n');
        return lines.Length <= 60 ? text : string.Join('\n', lines[^60..]);
    }
}

/// <summary>Runs a command to completion with captured output and a hard time limit.</summary>
public static class ProcessRunner
{
    public static ProcessResult Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null,
        TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        var command = file + " " + string.Join(' ', info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.StandardInput.Close();
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.Append(e.Data).Append('\n'); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.Append(e.Data).Append('\n'); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var limit = timeout ?? TimeSpan.FromMinutes(5);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"`{command}` did not finish within {limit.TotalSeconds:F0} s\n{error}");
        }
        process.WaitForExit();
        lock (output)
        {
            lock (error)
            {
                return new ProcessResult(command, process.ExitCode, output.ToString(), error.ToString());
            }
        }
    }
}
