using Builder.Engine.Wire;

namespace Builder.Engine.Network;

/// <summary>Finds slirp4netns for network mode "default", or says which package provides it.</summary>
internal static class NatBinary
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <returns>The binary's full path, or null when it is not installed.</returns>
    public static string? Find(EngineOptions options)
    {
        if (options.Slirp4netnsPath is { } configured)
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : DefaultPath).Split(':'))
        {
            if (dir.StartsWith('/') && Path.Combine(dir, Slirp4netns.Package) is var candidate && File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The start failure for a run in network mode "default" without slirp4netns.</summary>
    public static ContainerExit Missing(EngineOptions options) => new(125, Failure: new StartFailure(StartFailureKind.SetupFailed,
        $"network mode default needs {Slirp4netns.Package} (user-mode NAT), which was not found "
        + (options.Slirp4netnsPath is { } configured ? $"at {configured}" : "in PATH")
        + $": install the Debian package {Slirp4netns.Package} (apt-get install {Slirp4netns.Package}), or use network mode none or host"));
}
