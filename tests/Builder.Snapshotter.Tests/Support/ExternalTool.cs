using System.Diagnostics;
using Builder.TestSupport;

namespace Builder.Snapshotter.Tests.Support;

/// <summary>Runs a host tool the test needs; a missing tool skips locally and fails under CI.</summary>
public static class ExternalTool
{
    public static void Require(string name) => Capabilities.RequireOnPath(name);

    /// <summary>Runs <paramref name="command"/> with sh -c and returns stdout; a non-zero exit fails the test with stderr.</summary>
    public static string Run(string command, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' exited {p.ExitCode}: {stderr.Result}");
        }
        return stdout;
    }
}
