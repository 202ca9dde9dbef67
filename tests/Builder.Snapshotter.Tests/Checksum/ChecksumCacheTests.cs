using System.Diagnostics;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Tests.Support;

namespace Builder.Snapshotter.Tests.Checksum;

public sealed class ChecksumCacheTests : IDisposable
{
    private readonly TempDataRoot _temp = new(useOverlay: false);
    private readonly string _ctx;

    public ChecksumCacheTests()
    {
        _ctx = _temp.NewDir("ctx");
        Write("a.txt", "alpha");
        Write("b.txt", "beta");
        Write("dir/x", "x");
        Write("dir/sub/y.log", "y");
    }

    public void Dispose() => _temp.Dispose();

    private Builder.Snapshotter.Checksum.ChecksumCache Cache => _temp.Root.Checksums;

    private void Write(string rel, string content)
    {
        var path = Path.Combine(_ctx, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private string Sum(params string[] sources) => Cache.Checksum(_ctx, sources).ToString();

    private void SetMtime(string rel, long seconds) =>
        Errno.Check(Syscalls.Utimensat(Syscalls.AtFdCwd, Path.Combine(_ctx, rel), seconds, 0, 0), "utimes", rel);

    [Fact]
    public void Covers_content_mode_owner_links_xattrs_and_entries_but_never_mtime()
    {
        var s0 = Sum("dir", "a.txt");
        SetMtime("a.txt", 1_000);
        SetMtime("dir", 1_000);
        Assert.Equal(s0, Sum("dir", "a.txt"));

        var changes = new List<Action>
        {
            () => Write("dir/x", "X"),
            () => Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, Path.Combine(_ctx, "a.txt"), 0x1ED, 0), "chmod", "a"),
            () => Errno.Check(Syscalls.Fchownat(Syscalls.AtFdCwd, Path.Combine(_ctx, "a.txt"), 7, 7, 0), "chown", "a"),
            () => Errno.Check(Syscalls.Lsetxattr(Path.Combine(_ctx, "dir/x"), "user.k", "v"u8), "setxattr", "x"),
            () => File.CreateSymbolicLink(Path.Combine(_ctx, "dir/link"), "target-1"),
            () => { File.Delete(Path.Combine(_ctx, "dir/link")); File.CreateSymbolicLink(Path.Combine(_ctx, "dir/link"), "target-2"); },
            () => Write("dir/sub/new", ""),
            () => File.Delete(Path.Combine(_ctx, "dir/sub/new")),
        };
        var seen = new HashSet<string> { s0 };
        foreach (var change in changes.Take(7))
        {
            change();
            Assert.True(seen.Add(Sum("dir", "a.txt")), "a change did not change the checksum");
        }
        changes[7]();
        Assert.Contains(Sum("dir", "a.txt"), seen); // back to an earlier state: same checksum as then
    }

    [Fact]
    public void Only_the_selected_paths_count_and_excludes_are_left_out()
    {
        var a = Sum("a.txt");
        Write("b.txt", "changed");
        Assert.Equal(a, Sum("a.txt"));
        var withExclude = Cache.Checksum(_ctx, ["dir"], ["**/*.log"]).ToString();
        Write("dir/sub/y.log", "changed log");
        Assert.Equal(withExclude, Cache.Checksum(_ctx, ["dir"], ["**/*.log"]).ToString());
        Assert.NotEqual(Sum("*.txt"), Sum("a.txt"));
    }

    [Fact]
    public void Unchanged_files_are_never_read_again_also_after_a_restart()
    {
        Sum("dir", "a.txt", "b.txt");
        Assert.Equal(4, Cache.FilesHashed);
        Sum("dir", "a.txt", "b.txt");
        Assert.Equal(4, Cache.FilesHashed);
        var root = _temp.Reopen();
        root.Checksums.Checksum(_ctx, ["dir", "a.txt", "b.txt"]);
        Assert.Equal(0, root.Checksums.FilesHashed);
    }

    [Fact]
    public void A_file_changed_with_the_same_size_and_mtime_is_rehashed()
    {
        SetMtime("a.txt", 1_500_000_000);
        var before = Sum("a.txt");
        Write("a.txt", "ALPHA"); // same size
        SetMtime("a.txt", 1_500_000_000); // and the same mtime: only ctime tells
        var hashed = Cache.FilesHashed;
        Assert.NotEqual(before, Sum("a.txt"));
        Assert.Equal(hashed + 1, Cache.FilesHashed);
    }

    [Fact]
    public void Context_of_2000_files_warm_checksum_is_fast()
    {
        var big = _temp.NewDir("big");
        var data = new byte[12_500];
        for (var i = 0; i < 2000; i++)
        {
            Random.Shared.NextBytes(data);
            var dir = Path.Combine(big, "d" + (i % 40));
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, $"f{i}"), data);
        }
        var cold = Stopwatch.StartNew();
        var c1 = _temp.Root.Checksums.Checksum(big, ["."]);
        cold.Stop();
        Assert.Equal(2000, _temp.Root.Checksums.FilesHashed);
        var best = long.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var warm = Stopwatch.StartNew();
            Assert.Equal(c1, _temp.Root.Checksums.Checksum(big, ["."]));
            best = Math.Min(best, warm.ElapsedMilliseconds);
        }
        Assert.Equal(2000, _temp.Root.Checksums.FilesHashed);
        // The target is 20 ms; a loaded shared CI machine gets head room, the benchmark records the real number.
        Assert.True(best < 100, $"warm checksum took {best} ms (cold {cold.ElapsedMilliseconds} ms)");
    }
}
