using Builder.Engine.Oci;
using Builder.TestSupport;

namespace Builder.Engine.Tests;

/// <summary>The shared behaviour suite on runc (Debian's package, installed by .ci/run).</summary>
public sealed class RuncExecutorTests : ExecutorBehaviour
{
    protected override bool CommandIsPid1 => true;

    protected override IExecutor CreateExecutor(EngineOptions options) => new OciRuntimeExecutor(OciRuntimes.Require("runc"), options);
}

/// <summary>The shared behaviour suite on crun (Debian's package, installed by .ci/run).</summary>
public sealed class CrunExecutorTests : ExecutorBehaviour
{
    protected override bool CommandIsPid1 => true;

    protected override IExecutor CreateExecutor(EngineOptions options) => new OciRuntimeExecutor(OciRuntimes.Require("crun"), options);
}

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
