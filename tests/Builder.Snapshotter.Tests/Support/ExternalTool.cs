using System.Diagnostics;
using Builder.TestSupport;

namespace Builder.Snapshotter.Tests.Support;

/// <summary>Runs a host tool the test needs; a missing tool skips locally and fails under CI.</summary>
public static class ExternalTool
{
    public static void Require(string name)
    {
        var found = Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, name)));
        if (found)
        {
            return;
        }
        if (SharedData.IsCi)
        {
            throw new InvalidOperationException($"tool '{name}' not installed (add it to .ci/apt-packages); CI=true, so this is a failure");
        }
        Assert.Skip($"tool '{name}' not installed");
    }

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
