using Builder.Engine.Oci;
using Builder.TestSupport;

namespace Builder.Engine.Tests;

/// <summary>The shared behaviour suite on runc (Debian's package, installed by .ci/run).</summary>
public sealed class RuncExecutorTests : ExecutorBehaviour
{
    protected override bool CommandIsPid1 => true;

    protected override IExecutor CreateExecutor(EngineOptions options) => new OciRuntimeExecutor(OciRuntimes.Require("runc"), options);
}

// crun is not in the suite: Debian 12's crun 1.8.1 refuses to start any container on a hybrid
// cgroup host with a controller on the v2 hierarchy ("cgroups in hybrid mode not supported"),
// which is this machine's layout. OciRuntimeExecutor("crun") works where crun does.

internal static class OciRuntimes
{
    public static string Require(string name)
    {
        foreach (var dir in new[] { "/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin" })
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }
        var message = $"{name} is not installed (Debian package '{name}', listed in .ci/apt-packages)";
        if (SharedData.IsCi)
        {
            throw new InvalidOperationException(message + "; CI=true, so this is a failure");
        }
        Assert.Skip(message);
        return "";
    }
}
