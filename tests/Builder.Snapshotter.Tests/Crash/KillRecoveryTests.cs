using System.Diagnostics;
using System.Security.Cryptography;
using Builder.Snapshotter.Snapshots;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;

namespace Builder.Snapshotter.Tests.Crash;

/// <summary>A SIGKILL in the middle of ingests or commits leaves a store that reopens consistent.</summary>
public sealed class KillRecoveryTests : IDisposable
{
    private readonly string _dir = Path.Combine("/var/tmp", "builder-snap-tests", "kill-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private void RunAndKill(string mode, int delayMs)
    {
        var self = typeof(KillRecoveryTests).Assembly.Location;
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            psi.ArgumentList.Add(self);
        }
        foreach (var a in new[] { CrashHelper.Flag, mode, _dir })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        try
        {
            var line = p.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask();
            Assert.True(line.Wait(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken), "crash helper did not start");
            Assert.Equal("ready", line.Result);
            Thread.Sleep(delayMs);
        }
        finally
        {
            p.Kill(); // SIGKILL: no finally blocks, no flushes in the child
            p.WaitForExit();
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(37)]
    [InlineData(150)]
    public void Kill_during_ingest_leaves_only_verified_blobs(int delayMs)
    {
        RunAndKill("ingest", delayMs);
        using var root = DataRoot.Open(_dir, useOverlay: false);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "tmp")));
        foreach (var blob in root.Content.List())
        {
            using var s = root.Content.OpenRead(blob.Digest);
            Assert.Equal(blob.Digest.Hex, Convert.ToHexStringLower(SHA256.HashData(s)));
            Assert.Equal(64L << 20, blob.Size);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(23)]
    [InlineData(200)]
    public void Kill_during_prepare_and_commit_leaves_committed_snapshots_whole(int delayMs)
    {
        Capabilities.RequireRoot();
        RunAndKill("commit", delayMs);
        using var root = DataRoot.Open(_dir, useOverlay: false);
        var all = root.Snapshots.Walk().ToList();
        Assert.True(all.Count >= 4);
        Assert.All(all, s => Assert.Equal(SnapshotKind.Committed, s.Kind));
        // A chain with no gaps: layer-0 .. layer-n, each with its file.
        for (var i = 0; i < all.Count; i++)
        {
            var info = root.Snapshots.Stat($"layer-{i}");
            Assert.Equal(i == 0 ? null : $"layer-{i - 1}", info.Parent);
            Assert.Equal($"content {i}", File.ReadAllText(Path.Combine(root.Snapshots.FsPath($"layer-{i}"), $"file-{i}")));
        }
        Assert.Equal(all.Count, Directory.EnumerateDirectories(Path.Combine(_dir, "snapshots")).Count());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "tmp")));
        // And the reopened store works.
        root.Snapshots.Prepare("after", $"layer-{all.Count - 1}");
    }
}
