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

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
