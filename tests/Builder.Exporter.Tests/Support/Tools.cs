using System.Diagnostics;
using Builder.TestSupport;

namespace Builder.Exporter.Tests.Support;

/// <summary>Runs host tools (skopeo, umoci); a missing tool skips locally and fails under CI.</summary>
public static class Tools
{
    public static void Require(string name) => Capabilities.RequireOnPath(name);

    /// <summary>Runs <paramref name="command"/> with sh -c and returns stdout; a non-zero exit throws with stderr.</summary>
    public static string Run(string command)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? stdout : throw new InvalidOperationException($"'{command}' exited {p.ExitCode}: {stderr.Result}");
    }
}
