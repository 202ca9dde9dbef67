using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Layers.Apply;
using Builder.Snapshotter.Layers.Tar;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;
using static Builder.Snapshotter.Tests.Support.SnapshotMounts;

namespace Builder.Snapshotter.Tests.FileOps;

/// <summary>A COPY step end to end: file operations on a mounted active snapshot, commit, export.</summary>
public sealed class CopyOntoSnapshotTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Copy_onto_an_active_snapshot_commits_to_a_layer_with_just_the_copy(bool overlay)
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot(overlay);
        Layer(temp, "base", null, d =>
        {
            Directory.CreateDirectory(Path.Combine(d, "etc"));
            File.WriteAllText(Path.Combine(d, "etc/passwd"), "root:x:0:0::/root:/bin/sh\nweb:x:33:33::/var/www:/bin/sh\n");
            Directory.CreateDirectory(Path.Combine(d, "var/www"));
        });
        var ctx = temp.NewDir("ctx");
        File.WriteAllText(Path.Combine(ctx, "index.html"), "<p>hi</p>");
        With(temp, temp.Root.Snapshots.Prepare("copy-active", "base"), root =>
        {
            using var ops = new FileOperations(root);
            ops.Copy(new CopyRequest { SourceRoot = ctx, Sources = ["index.html"], Destination = "/var/www/html/", Chown = "web" });
            ops.Mkdir("/app", owner: "web");
        });
        temp.Root.Snapshots.Commit("copy", "copy-active");
        var layer = temp.Root.Layers.Export("copy");
        var reader = new TarStreamReader(Decompression.Open(temp.Root.Content.OpenRead(layer.Digest), out _));
        var entries = new List<string>();
        while (reader.Next() is { } e)
        {
            entries.Add($"{e.Name} {e.Uid}:{e.Gid}");
        }
        Assert.Equal(["app/ 33:33", "var/ 0:0", "var/www/ 0:0", "var/www/html/ 33:33", "var/www/html/index.html 33:33"], entries);
    }
}
