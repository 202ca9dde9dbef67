using System.Diagnostics;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Snapshots;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;
using static Builder.Snapshotter.Tests.Support.SnapshotMounts;

namespace Builder.Snapshotter.Tests.Snapshots;

/// <summary>The scenarios of containerd's snapshotter test suite, for the overlay driver and the copying fallback.</summary>
public sealed class SnapshotLifecycleTests
{
    public static TheoryData<bool> Drivers => new() { true, false };

    private static TempDataRoot Open(bool overlay)
    {
        Capabilities.RequireRoot();
        var temp = new TempDataRoot(overlay);
        Assert.Equal(overlay ? "overlayfs" : "copy", temp.Root.Snapshots.DriverName);
        return temp;
    }

    [Fact]
    public void Overlay_is_detected_automatically()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot(useOverlay: null);
        Assert.Equal("overlayfs", temp.Root.Snapshots.DriverName);
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Lifecycle_prepare_commit_view_remove(bool overlay)
    {
        using var temp = Open(overlay);
        var s = temp.Root.Snapshots;
        With(temp, s.Prepare("base-active", null), dir =>
        {
            File.WriteAllText(Path.Combine(dir, "foo"), "foo");
            Directory.CreateDirectory(Path.Combine(dir, "a/b"));
        });
        Assert.Equal(SnapshotKind.Active, s.Stat("base-active").Kind);
        s.Commit("base", "base-active", new Dictionary<string, string> { ["l"] = "v" });
        Assert.Throws<KeyNotFoundException>(() => s.Stat("base-active"));
        var info = s.Stat("base");
        Assert.Equal(SnapshotKind.Committed, info.Kind);
        Assert.Null(info.Parent);
        Assert.Equal("v", info.Labels["l"]);

        var viewMounts = s.View("base-view", "base");
        Assert.Equal(SnapshotKind.View, s.Stat("base-view").Kind);
        With(temp, viewMounts, dir =>
        {
            Assert.Equal("foo", File.ReadAllText(Path.Combine(dir, "foo")));
            Assert.ThrowsAny<IOException>(() => File.WriteAllText(Path.Combine(dir, "bar"), "x"));
        });
        Assert.Throws<InvalidOperationException>(() => s.Commit("nope", "base-view"));

        s.Prepare("next-active", "base");
        Assert.Equal("base", s.Stat("next-active").Parent);
        var e = Assert.Throws<InvalidOperationException>(() => s.Remove("base"));
        Assert.Contains("parent of 2", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => s.Prepare("next-active", "base"));
        Assert.Throws<KeyNotFoundException>(() => s.Prepare("x", "missing"));
        Assert.Throws<InvalidOperationException>(() => s.Prepare("x", "next-active"));

        Assert.Equal(["base", "base-view", "next-active"], s.Walk().Select(i => i.Key).ToArray());
        s.Remove("base-view");
        s.Remove("next-active");
        s.Remove("base");
        Assert.Empty(s.Walk());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(temp.Root.Path, "snapshots")));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Removing_an_intermediate_snapshot_fails(bool overlay)
    {
        using var temp = Open(overlay);
        Layer(temp, "l1", null, d => File.WriteAllText(Path.Combine(d, "1"), "1"));
        Layer(temp, "l2", "l1", d => File.WriteAllText(Path.Combine(d, "2"), "2"));
        Layer(temp, "l3", "l2", d => File.WriteAllText(Path.Combine(d, "3"), "3"));
        var e = Assert.Throws<InvalidOperationException>(() => temp.Root.Snapshots.Remove("l2"));
        Assert.Equal("cannot remove snapshot 'l2': it is the parent of 1 other snapshot(s)", e.Message);
        Assert.Equal(SnapshotKind.Committed, temp.Root.Snapshots.Stat("l2").Kind);
        temp.Root.Snapshots.Remove("l3");
        temp.Root.Snapshots.Remove("l2");
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Updated_deleted_chowned_and_moved_files_show_in_the_upper_layers(bool overlay)
    {
        using var temp = Open(overlay);
        Layer(temp, "base", null, d =>
        {
            File.WriteAllText(Path.Combine(d, "file"), "v1");
            File.WriteAllText(Path.Combine(d, "gone"), "x");
            File.WriteAllText(Path.Combine(d, "moved"), "moved content");
            File.WriteAllText(Path.Combine(d, "owned"), "o");
            Directory.CreateDirectory(Path.Combine(d, "dir/sub"));
            File.WriteAllText(Path.Combine(d, "dir/sub/x"), "x");
        });
        Layer(temp, "top", "base", d =>
        {
            File.WriteAllText(Path.Combine(d, "file"), "v2 longer");
            File.Delete(Path.Combine(d, "gone"));
            Directory.Delete(Path.Combine(d, "dir"), recursive: true);
            Errno.Check(Syscalls.Fchownat(Syscalls.AtFdCwd, Path.Combine(d, "owned"), 1000, 1001, 0), "chown", "owned");
            Errno.Check(Syscalls.Linkat(Syscalls.AtFdCwd, Path.Combine(d, "moved"), Syscalls.AtFdCwd, Path.Combine(d, "newname"), 0), "link", "moved");
            File.Delete(Path.Combine(d, "moved"));
            Directory.CreateDirectory(Path.Combine(d, "private"));
            Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, Path.Combine(d, "private"), 0x3C0 /* 01700 */, 0), "chmod", "private");
        });
        With(temp, temp.Root.Snapshots.View("v-top", "top"), d =>
        {
            Assert.Equal("v2 longer", File.ReadAllText(Path.Combine(d, "file")));
            Assert.False(File.Exists(Path.Combine(d, "gone")));
            Assert.False(Directory.Exists(Path.Combine(d, "dir")));
            Assert.False(File.Exists(Path.Combine(d, "moved")));
            Assert.Equal("moved content", File.ReadAllText(Path.Combine(d, "newname")));
            Syscalls.Statx(Syscalls.AtFdCwd, Path.Combine(d, "owned"), 0, out var st);
            Assert.Equal((1000u, 1001u), (st.Uid, st.Gid));
            Syscalls.Statx(Syscalls.AtFdCwd, Path.Combine(d, "private"), 0, out var ps);
            Assert.Equal(0x3C0u, ps.Permissions);
        });
        With(temp, temp.Root.Snapshots.View("v-base", "base"), d =>
        {
            Assert.Equal("v1", File.ReadAllText(Path.Combine(d, "file")));
            Assert.True(File.Exists(Path.Combine(d, "gone")));
            Assert.True(File.Exists(Path.Combine(d, "dir/sub/x")));
            Assert.True(File.Exists(Path.Combine(d, "moved")));
        });
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Commit_changes_only_metadata(bool overlay)
    {
        using var temp = Open(overlay);
        var s = temp.Root.Snapshots;
        With(temp, s.Prepare("a-active", null), d => File.WriteAllBytes(Path.Combine(d, "big"), new byte[8 << 20]));
        var fs = s.FsPath("a-active");
        Syscalls.Statx(Syscalls.AtFdCwd, Path.Combine(fs, "big"), 0, out var before);
        var sw = Stopwatch.StartNew();
        s.Commit("a", "a-active");
        sw.Stop();
        Assert.Equal(fs, s.FsPath("a"));
        Syscalls.Statx(Syscalls.AtFdCwd, Path.Combine(fs, "big"), 0, out var after);
        Assert.Equal(before.Inode, after.Inode);
        Assert.Equal(before.CtimeNs, after.CtimeNs);
        Assert.True(sw.ElapsedMilliseconds < 200, $"commit took {sw.ElapsedMilliseconds} ms");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(temp.Root.Path, "content/blobs/sha256")));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Usage_counts_the_snapshots_own_bytes_and_inodes(bool overlay)
    {
        using var temp = Open(overlay);
        Layer(temp, "a", null, d =>
        {
            File.WriteAllBytes(Path.Combine(d, "f"), new byte[1 << 20]);
            Directory.CreateDirectory(Path.Combine(d, "d"));
        });
        var u = temp.Root.Snapshots.Usage("a");
        Assert.Equal(2, u.Inodes);
        Assert.True(u.Size >= 1 << 20, $"usage {u.Size}");
    }

    [Fact]
    public void Layers_128_deep_mounted_equal_a_flat_copy_and_210_layers_mount()
    {
        using var temp = Open(overlay: true);
        var flat = temp.NewDir("flat");
        string? parent = null;
        for (var i = 0; i < 210; i++)
        {
            var name = "layer" + i;
            void Change(string d)
            {
                File.WriteAllText(Path.Combine(d, $"f{i}"), $"layer {i}");
                File.WriteAllText(Path.Combine(d, "shared"), $"written by {i}");
                if (i > 0 && i % 10 == 0)
                {
                    File.Delete(Path.Combine(d, $"f{i - 1}"));
                }
            }
            Layer(temp, name, parent, Change);
            Change(flat);
            parent = name;
            if (i == 127)
            {
                Assert.Equal(TreeDescription.Capture(flat, withMtime: false), Describe(temp, name, withMtime: false));
            }
        }
        // 210 lowerdirs do not fit in one mount(2) page with absolute paths: the relative form is used.
        With(temp, temp.Root.Snapshots.Prepare("top", parent), d =>
        {
            Assert.Equal("written by 209", File.ReadAllText(Path.Combine(d, "shared")));
            Assert.Equal("layer 0", File.ReadAllText(Path.Combine(d, "f0")));
            Assert.False(File.Exists(Path.Combine(d, "f9")));
        });
        Assert.Equal(TreeDescription.Capture(flat, withMtime: false), Describe(temp, parent!, withMtime: false));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Reopen_removes_unfinished_snapshots_and_orphan_dirs_and_keeps_committed(bool overlay)
    {
        using var temp = Open(overlay);
        Layer(temp, "kept", null, d => File.WriteAllText(Path.Combine(d, "k"), "k"));
        temp.Root.Snapshots.Prepare("unfinished", "kept");
        Directory.CreateDirectory(Path.Combine(temp.Root.Path, "snapshots", "9999", "fs"));
        var root = temp.Reopen();
        Assert.Equal(new RecoveryReport(1, 2), root.Recovery);
        Assert.Equal(["kept"], root.Snapshots.Walk().Select(i => i.Key).ToArray());
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(root.Path, "snapshots")));
        Assert.Contains("k file", string.Join('\n', Describe(temp, "kept")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_open_of_the_same_root_is_refused()
    {
        using var temp = new TempDataRoot(useOverlay: false);
        var e = Assert.Throws<IOException>(() => DataRoot.Open(temp.Root.Path, false));
        Assert.Contains("in use by another process", e.Message, StringComparison.Ordinal);
    }
}
