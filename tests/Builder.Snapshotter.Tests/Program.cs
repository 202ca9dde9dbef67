namespace Builder.Snapshotter.Tests;

/// <summary>The test executable's entry: xunit, or (with --crash-helper) a store workload that a test kills.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == Crash.CrashHelper.Flag)
        {
            return Crash.CrashHelper.Run(args[1..]);
        }
        if (args.Length > 0 && args[0] == Bench.SnapshotterBench.Flag)
        {
            return Bench.SnapshotterBench.Run(args[1..]);
        }
        if (args.Any(arg => arg is "--server" or "--internal-msbuild-node"))
        {
            return Xunit.MicrosoftTestingPlatform.TestPlatformTestFramework.RunAsync(args, SelfRegisteredExtensions.AddSelfRegisteredExtensions).GetAwaiter().GetResult();
        }
        return Xunit.Runner.InProc.SystemConsole.ConsoleRunner.Run(args).GetAwaiter().GetResult();
    }
}
