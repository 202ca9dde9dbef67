namespace Builder.Snapshotter.Tests.Crash;

/// <summary>
/// Runs forever in a child process doing store work (ingests, or prepare/write/commit), printing "ready"
/// once work is under way, so a test can SIGKILL it at an arbitrary point.
/// </summary>
internal static class CrashHelper
{
    public const string Flag = "--crash-helper";

    public static int Run(string[] args)
    {
        var mode = args[0];
        using var root = DataRoot.Open(args[1], useOverlay: false);
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        var ready = false;
        for (var i = 0; ; i++)
        {
            if (mode == "ingest")
            {
                using var w = root.Content.OpenWriter();
                for (var j = 0; j < 64; j++)
                {
                    chunk[0] = (byte)i;
                    chunk[1] = (byte)j;
                    w.Write(chunk);
                    if (!ready && (i > 0 || j == 8))
                    {
                        Console.Out.WriteLine("ready");
                        Console.Out.Flush();
                        ready = true;
                    }
                }
                w.Commit();
            }
            else
            {
                var key = $"active-{i}";
                root.Snapshots.Prepare(key, i == 0 ? null : $"layer-{i - 1}");
                var fs = root.Snapshots.FsPath(key);
                File.WriteAllText(Path.Combine(fs, $"file-{i}"), $"content {i}");
                root.Snapshots.Commit($"layer-{i}", key);
                if (!ready && i == 3)
                {
                    Console.Out.WriteLine("ready");
                    Console.Out.Flush();
                    ready = true;
                }
            }
        }
    }
}
