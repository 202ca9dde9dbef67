using Builder.Snapshotter.Mounts;

namespace Builder.Snapshotter.Tests.Mounts;

public sealed class WritebackTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("builder-writeback-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ALongStep_IsSyncedRepeatedly_WhileItRuns()
    {
        await using var writeback = Writeback.Start(_dir);
        File.WriteAllBytes(Path.Combine(_dir, "data.bin"), new byte[4 << 20]);
        for (var i = 0; i < 100 && writeback.Syncs < 2; i++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.True(writeback.Syncs >= 2, $"expected at least two syncs in 10 s, got {writeback.Syncs}");
    }

    [Fact]
    public async Task AStepShorterThanTheDelay_NeverSyncs()
    {
        var writeback = Writeback.Start(_dir);
        await writeback.DisposeAsync();

        Assert.Equal(0, writeback.Syncs);
    }

    [Fact]
    public async Task AfterDispose_NothingHoldsTheTreeOpen_SoItCanBeUnmounted()
    {
        var writeback = Writeback.Start(_dir);
        for (var i = 0; i < 100 && writeback.Syncs < 1; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        await writeback.DisposeAsync();
        var syncs = writeback.Syncs;
        await Task.Delay(Writeback.Interval * 3, TestContext.Current.CancellationToken);

        Assert.True(syncs >= 1);
        Assert.Equal(syncs, writeback.Syncs); // stopped
        Assert.DoesNotContain(_dir, OpenPaths());
    }

    /// <summary>What this process's descriptors point to (other tests open and close theirs meanwhile).</summary>
    private static List<string> OpenPaths()
    {
        var paths = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target)
                {
                    paths.Add(target);
                }
            }
            catch (IOException)
            {
                // closed while we looked
            }
        }
        return paths;
    }

    [Fact]
    public void StartingWithoutAPath_NamesTheArgument()
    {
        Assert.Equal("mountedPath", Assert.Throws<ArgumentException>(() => Writeback.Start("")).ParamName);
    }
}
