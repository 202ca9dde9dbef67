using Xunit;

namespace Builder.TestSupport;

/// <summary>Checks for host capabilities that some tests need (root, overlayfs, namespaces).</summary>
public static class Capabilities
{
    /// <summary>True when the process runs as uid 0.</summary>
    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    /// <summary>
    /// Skips the current test unless running as root. Under CI (which runs as root) a missing
    /// capability fails instead, so a broken environment can never pass silently.
    /// </summary>
    public static void RequireRoot()
    {
        if (IsRoot)
        {
            return;
        }
        if (SharedData.IsCi)
        {
            throw new InvalidOperationException("this test needs root; CI=true, so this is a failure");
        }
        Assert.Skip("needs root");
    }

    /// <summary>
    /// Skips the current test when <paramref name="path"/> (from the Debian package <paramref name="package"/>)
    /// is missing; under CI a missing tool fails instead.
    /// </summary>
    public static void RequireTool(string path, string package)
    {
        if (File.Exists(path))
        {
            return;
        }
        var message = $"{path} not found (apt-get install {package})";
        if (SharedData.IsCi)
        {
            throw new InvalidOperationException(message + "; CI=true, so this is a failure");
        }
        Assert.Skip(message);
    }

    /// <summary>
    /// Skips the current test when no <paramref name="name"/> is on PATH; under CI a missing tool fails
    /// instead (it belongs in .ci/apt-packages).
    /// </summary>
    public static void RequireOnPath(string name)
    {
        if (Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(d => File.Exists(Path.Combine(d, name))))
        {
            return;
        }
        if (SharedData.IsCi)
        {
            throw new InvalidOperationException($"tool '{name}' not installed (add it to .ci/apt-packages); CI=true, so this is a failure");
        }
        Assert.Skip($"tool '{name}' not installed");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
