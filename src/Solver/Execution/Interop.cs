using System.Runtime.InteropServices;

namespace Builder.Solver.Execution;

/// <summary>The few libc calls the solver makes itself (file ownership of secrets and cache mounts).</summary>
internal static class Interop
{
    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    public static extern int Chown(string path, int uid, int gid);
}
