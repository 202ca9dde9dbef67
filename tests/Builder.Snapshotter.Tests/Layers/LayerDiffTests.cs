using System.Diagnostics;
using Builder.Snapshotter.Layers;
using Builder.Snapshotter.Layers.Apply;
using Builder.Snapshotter.Layers.Tar;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;
using static Builder.Snapshotter.Tests.Support.SnapshotMounts;

namespace Builder.Snapshotter.Tests.Layers;

public sealed class LayerDiffTests
{
    public static TheoryData<bool> Drivers => new() { true, false };

    private static TempDataRoot Open(bool overlay)
    {
        Capabilities.RequireRoot();
        return new TempDataRoot(overlay);
    }

    private static List<(string Name, char Type, string Link, uint Mode)> ReadEntries(TempDataRoot temp, LayerDescriptor layer)
    {
        using var blob = temp.Root.Content.OpenRead(layer.Digest);
        using var tar = Decompression.Open(blob, out _);
        var reader = new TarStreamReader(tar);
        var list = new List<(string, char, string, uint)>();
        while (reader.Next() is { } e)
        {
            list.Add((e.Name, (char)e.Type, e.LinkName, e.Mode));
        }
        return list;
    }

    /// <summary>A tree with every kind of entry a layer carries.</summary>
    internal static void MakeRichTree(string d)
    {
        Directory.CreateDirectory(Path.Combine(d, "etc/deep/er"));
        File.WriteAllText(Path.Combine(d, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
        File.WriteAllBytes(Path.Combine(d, "etc/deep/er/blob"), Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray());
        File.WriteAllText(Path.Combine(d, new string('n', 150)), "long name");
        Directory.CreateDirectory(Path.Combine(d, "bin"));
        File.WriteAllText(Path.Combine(d, "bin/tool"), "#!/bin/sh\n");
        Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, Path.Combine(d, "bin/tool"), 0x9ED /* 04755 */, 0), "chmod", "tool");
        Errno.Check(Syscalls.Lsetxattr(Path.Combine(d, "bin/tool"), "security.capability",
            Convert.FromHexString("0100000200200000000000000000000000000000")), "setxattr", "tool");
        Errno.Check(Syscalls.Lsetxattr(Path.Combine(d, "etc/passwd"), "user.note", "hello"u8), "setxattr", "passwd");
        Errno.Check(Syscalls.Linkat(Syscalls.AtFdCwd, Path.Combine(d, "bin/tool"), Syscalls.AtFdCwd, Path.Combine(d, "bin/tool-link"), 0), "link", "tool");
        Errno.Check(Syscalls.Symlinkat("/etc/passwd", Syscalls.AtFdCwd, Path.Combine(d, "abs-link")), "symlink", "abs");
        Errno.Check(Syscalls.Symlinkat("../etc", Syscalls.AtFdCwd, Path.Combine(d, "bin/rel-link")), "symlink", "rel");
        Errno.Check(Syscalls.Mknodat(Syscalls.AtFdCwd, Path.Combine(d, "fifo"), Syscalls.SIfIfo | 0x1A4, 0), "mkfifo", "fifo");
        Errno.Check(Syscalls.Mknodat(Syscalls.AtFdCwd, Path.Combine(d, "null"), Syscalls.SIfChr | 0x1B6, Syscalls.MakeDev(1, 3)), "mknod", "null");
        File.WriteAllText(Path.Combine(d, "owned"), "o");
        Errno.Check(Syscalls.Fchownat(Syscalls.AtFdCwd, Path.Combine(d, "owned"), 3_000_000, 1234, 0), "chown", "owned");
        Directory.CreateDirectory(Path.Combine(d, "tmp"));
        Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, Path.Combine(d, "tmp"), 0x3FF /* 01777 */, 0), "chmod", "tmp");
    }

    [Fact]
    public void Export_writes_whiteouts_and_opaque_directories()
    {
        using var temp = Open(overlay: true);
        Layer(temp, "base", null, d =>
        {
            Directory.CreateDirectory(Path.Combine(d, "a"));
            File.WriteAllText(Path.Combine(d, "a/old"), "old");
            File.WriteAllText(Path.Combine(d, "c"), "c");
            Directory.CreateDirectory(Path.Combine(d, "keep"));
            File.WriteAllText(Path.Combine(d, "keep/gone"), "x");
        });
        Layer(temp, "top", "base", d =>
        {
            File.Delete(Path.Combine(d, "c"));
            File.Delete(Path.Combine(d, "keep/gone"));
            Directory.Delete(Path.Combine(d, "a"), recursive: true);
            Directory.CreateDirectory(Path.Combine(d, "a"));
            File.WriteAllText(Path.Combine(d, "a/new"), "new");
        });
        var layer = temp.Root.Layers.Export("top");
        var names = ReadEntries(temp, layer).Select(e => e.Name).ToList();
        Assert.Equal(["a/", "a/.wh..wh..opq", "a/new", ".wh.c", "keep/", "keep/.wh.gone"], names);
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public void Apply_of_diff_reproduces_the_tree_exactly(LayerCompression compression)
    {
        using var source = Open(overlay: true);
        Layer(source, "rich", null, MakeRichTree);
        Layer(source, "top", "rich", d =>
        {
            File.Delete(Path.Combine(d, "etc/passwd"));
            Directory.Delete(Path.Combine(d, "etc/deep"), recursive: true);
            File.WriteAllText(Path.Combine(d, "bin/tool"), "changed");
        });
        var options = new LayerExportOptions { Compression = compression };
        var l1 = source.Root.Layers.Export("rich", options);
        var l2 = source.Root.Layers.Export("top", options);
        foreach (var overlay in new[] { true, false })
        {
            using var target = Open(overlay);
            foreach (var (layer, name, parent) in new[] { (l1, "rich", (string?)null), (l2, "top", "rich") })
            {
                using var blob = source.Root.Content.OpenRead(layer.Digest);
                var diffId = target.Root.Layers.Apply(blob, parent, name);
                Assert.Equal(layer.DiffId, diffId);
            }
            Assert.Equal(Describe(source, "rich"), Describe(target, "rich"));
            Assert.Equal(Describe(source, "top"), Describe(target, "top"));
            // The applied snapshots export to the very same bytes: diff and apply are inverse.
            Assert.Equal(l2.DiffId, target.Root.Layers.Export("top", options).DiffId);
        }
    }

    [Fact]
    public void Export_is_deterministic_clamped_to_source_date_epoch_and_computed_once()
    {
        using var a = Open(overlay: true);
        using var b = Open(overlay: true);
        Layer(a, "x", null, MakeRichTree);
        Thread.Sleep(1100); // different mtimes in b
        Layer(b, "x", null, MakeRichTree);
        var opts = new LayerExportOptions { SourceDateEpoch = 1_000_000 };
        var la = a.Root.Layers.Export("x", opts);
        var lb = b.Root.Layers.Export("x", opts);
        Assert.Equal(la, lb);
        Assert.NotEqual(la.DiffId, a.Root.Layers.Export("x").DiffId); // without clamping, real mtimes

        var blobPath = Path.Combine(a.Root.Path, "content/blobs/sha256", la.Digest.Hex);
        Syscalls.Statx(Syscalls.AtFdCwd, blobPath, 0, out var before);
        var sw = Stopwatch.StartNew();
        Assert.Equal(la, a.Root.Layers.Export("x", opts));
        Assert.True(sw.ElapsedMilliseconds < 100);
        Syscalls.Statx(Syscalls.AtFdCwd, blobPath, 0, out var after);
        Assert.Equal(before.CtimeNs, after.CtimeNs);
        Assert.Equal(la, a.Root.Layers.Find("x", opts));
        var reader = new TarStreamReader(Decompression.Open(a.Root.Content.OpenRead(la.Digest), out _));
        while (reader.Next() is { } e)
        {
            Assert.True(e.MtimeSeconds <= 1_000_000);
        }
    }

    [Fact]
    public void Concurrent_exports_compute_the_layer_once()
    {
        using var temp = Open(overlay: true);
        Layer(temp, "x", null, MakeRichTree);
        var results = Enumerable.Range(0, 4).AsParallel().Select(_ => temp.Root.Layers.Export("x")).ToList();
        Assert.Single(results.Distinct());
        Assert.Single(temp.Root.Content.List());
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public void Opaque_markers_apply_in_either_order_and_thousands_of_repeats_are_linear(bool overlay)
    {
        using var temp = Open(overlay);
        var baseTar = new TarBuilder().Dir("d/").File("d/old", "old").File("d/old2", "old").Build();
        temp.Root.Layers.Apply(new MemoryStream(baseTar), null, "base");
        var after = new TarBuilder().Dir("d/").File("d/new", "new").File("d/.wh..wh..opq").Build();
        temp.Root.Layers.Apply(new MemoryStream(after), "base", "after");
        var before = new TarBuilder().File("d/.wh..wh..opq").Dir("d/").File("d/new", "new").Build();
        temp.Root.Layers.Apply(new MemoryStream(before), "base", "before");
        foreach (var name in new[] { "after", "before" })
        {
            var lines = Describe(temp, name, withMtime: false);
            Assert.Equal(["d dir 755 0:0 []", "d/new file 644 0:0 3 " + lines[1].Split(' ')[5] + " []"], lines);
        }
        var many = new TarBuilder().Dir("d/");
        for (var i = 0; i < 20_000; i++)
        {
            many.File("d/.wh..wh..opq");
        }
        var sw = Stopwatch.StartNew();
        temp.Root.Layers.Apply(new MemoryStream(TarBuilder.Gzip(many.Build())), "base", "many");
        Assert.True(sw.ElapsedMilliseconds < 3000, $"20000 opaque markers took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(["d dir 755 0:0 []"], Describe(temp, "many", withMtime: false));
    }
}
