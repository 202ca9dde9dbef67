using Builder.Oci;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;
using static Builder.Snapshotter.Tests.Support.SnapshotMounts;

namespace Builder.Snapshotter.Tests.Gc;

public sealed class GarbageCollectorTests : IDisposable
{
    private readonly TempDataRoot _temp;

    public GarbageCollectorTests()
    {
        Capabilities.RequireRoot();
        _temp = new TempDataRoot(useOverlay: true);
    }

    public void Dispose() => _temp.Dispose();

    private DataRoot Root => _temp.Root;

    private string[] Keys() => Root.Snapshots.Walk().Select(s => s.Key).Order(StringComparer.Ordinal).ToArray();

    private void Blob(int size, out Digest digest)
    {
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        digest = Root.Content.IngestAsync(new MemoryStream(data)).GetAwaiter().GetResult().Digest;
    }

    [Fact]
    public async Task Blobs_ingested_under_a_lease_survive_collections_running_at_the_same_time()
    {
        using var lease = Root.Gc.CreateLease();
        var stop = false;
        var collector = Task.Run(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                Root.Gc.Collect();
            }
        }, TestContext.Current.CancellationToken);
        var digests = new List<Digest>();
        for (var i = 0; i < 40; i++)
        {
            var data = new byte[4096];
            Random.Shared.NextBytes(data);
            digests.Add((await Root.Content.IngestAsync(new MemoryStream(data), cancellationToken: TestContext.Current.CancellationToken, lease: lease)).Digest);
        }
        Volatile.Write(ref stop, true);
        await collector;
        Root.Gc.Collect();
        Assert.All(digests, d => Assert.True(Root.Content.Exists(d), $"{d} was collected while leased"));
    }

    [Fact]
    public void Collect_keeps_what_images_leases_and_running_builds_reach_and_removes_the_rest()
    {
        Layer(_temp, "base", null, d => File.WriteAllText(Path.Combine(d, "b"), "b"));
        Layer(_temp, "mid", "base", d => File.WriteAllText(Path.Combine(d, "m"), "m"));
        Layer(_temp, "top", "mid", d => File.WriteAllText(Path.Combine(d, "t"), "t"));
        Layer(_temp, "orphan", "base", d => File.WriteAllText(Path.Combine(d, "o"), "o"));
        Layer(_temp, "leased", null, d => File.WriteAllText(Path.Combine(d, "l"), "l"));
        Layer(_temp, "expired", null, d => File.WriteAllText(Path.Combine(d, "e"), "e"));
        Root.Snapshots.Prepare("running", "orphan");
        Root.Snapshots.Commit("tmp-commit", "running"); // committed, unreferenced: garbage
        Root.Snapshots.Prepare("building", "base"); // active: in use
        var topLayer = Root.Layers.Export("top");
        var orphanLayer = Root.Layers.Export("orphan");
        Blob(1000, out var imageConfig);
        Blob(1000, out var garbage);
        Root.Gc.AddReference(ReferenceOwner.Image, "app:latest", ResourceKind.Snapshot, "top");
        Root.Gc.AddReference(ReferenceOwner.Image, "app:latest", ResourceKind.Blob, imageConfig.ToString());
        using var lease = Root.Gc.CreateLease();
        lease.Add(ResourceKind.Snapshot, "leased");
        var old = Root.Gc.CreateLease(TimeSpan.FromMilliseconds(-1));
        old.Add(ResourceKind.Snapshot, "expired");

        var result = Root.Gc.Collect();
        Assert.Equal(["base", "building", "leased", "mid", "top"], Keys());
        Assert.Equal(3, result.SnapshotsRemoved); // orphan, tmp-commit, expired
        Assert.True(Root.Content.Exists(topLayer.Digest));
        Assert.True(Root.Content.Exists(imageConfig));
        Assert.False(Root.Content.Exists(orphanLayer.Digest));
        Assert.False(Root.Content.Exists(garbage));
        Assert.Equal(2, result.BlobsRemoved);

        Root.Snapshots.Remove("building");
        Root.Gc.RemoveReferences(ReferenceOwner.Image, "app:latest");
        lease.Dispose();
        Root.Gc.Collect();
        Assert.Empty(Keys());
        Assert.Empty(Root.Content.List());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(Root.Path, "snapshots")));
    }

    [Fact]
    public void Prune_with_keep_duration_and_keep_storage_drops_the_oldest_cache_records()
    {
        foreach (var name in new[] { "c1", "c2", "c3" })
        {
            Layer(_temp, name, null, d => File.WriteAllBytes(Path.Combine(d, "data"), new byte[1 << 20]));
            Root.Gc.AddReference(ReferenceOwner.Cache, "key-" + name, ResourceKind.Snapshot, name);
            Thread.Sleep(20);
        }
        Layer(_temp, "img", null, d => File.WriteAllBytes(Path.Combine(d, "data"), new byte[1 << 20]));
        Root.Gc.AddReference(ReferenceOwner.Image, "img", ResourceKind.Snapshot, "img");

        var r1 = Root.Gc.Prune(new PruneOptions { KeepStorage = (3L << 20) + (512 << 10) });
        Assert.Equal(1, r1.CacheRecordsRemoved);
        Assert.Equal(["c2", "c3", "img"], Keys());

        var r2 = Root.Gc.Prune(new PruneOptions { KeepDuration = TimeSpan.Zero });
        Assert.Equal(2, r2.CacheRecordsRemoved);
        Assert.Equal(["img"], Keys()); // images are never pruned
    }
}
