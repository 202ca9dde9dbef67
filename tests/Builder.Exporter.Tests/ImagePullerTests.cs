using System.Text.Json;
using Builder.Exporter.Store;
using Builder.Exporter.Tests.Support;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.Solver.Sources;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>Pull and push against a real docker-registry, and the pull policies when the registry fails.</summary>
public sealed class ImagePullerTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static RegistryClient NewClient() => new(new RegistryClientOptions
    {
        Credentials = AnonymousCredentials.Instance,
        MaxRetries = 0,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
    });

    /// <summary>A fresh data root with its image store and a puller on an anonymous, retry-free client.</summary>
    private sealed class PullRig : IDisposable
    {
        public TempDataRoot Temp { get; } = new();
        public RegistryClient Client { get; } = NewClient();
        public ImageStore Store { get; }
        public ImagePuller Puller { get; }

        public PullRig()
        {
            Store = new ImageStore(Temp.Root);
            Puller = new ImagePuller(Store, Client);
        }

        public void Dispose()
        {
            Puller.Dispose();
            Client.Dispose();
            Temp.Dispose();
        }
    }

    private static async Task<string> NewRepositoryWithBusyboxAsync()
    {
        var registry = await SharedRegistry.GetAsync();
        var repository = $"pulltest/{Guid.NewGuid():N}";
        await BusyboxImage.PushAsync(registry, repository, "1.0", Cancel);
        return $"{registry.Host}/{repository}:1.0";
    }

    [Fact]
    public async Task Pull_stores_the_image_unpacks_its_layers_and_a_second_pull_gives_the_same_image()
    {
        Capabilities.RequireRoot();
        var reference = ImageReference.Parse(await BusyboxImage.ReferenceAsync());
        using var rig = new PullRig();
        var (temp, store, puller) = (rig.Temp, rig.Store, rig.Puller);

        var first = await puller.PullAsync(reference, Platform.Host, Cancel);
        Assert.Equal([reference.ToString()], first.Names);
        Assert.NotNull(first.TopSnapshot);
        Assert.StartsWith("layers/sha256:", first.TopSnapshot);
        var source = await puller.GetAsync(reference, Platform.Host, PullPolicy.Always, null, Cancel);
        Assert.Equal(first.Manifest.Digest.ToString(), source.ManifestDigest);
        Assert.Equal(first.TopSnapshot, source.TopSnapshot);
        Assert.Equal(["sh"], source.Config.Config.Cmd);
        Assert.Single(store.List());

        // The rootfs is there: a tar of the top snapshot holds bin/busybox and etc/passwd.
        var names = await TarNamesAsync(temp, first.TopSnapshot);
        Assert.Contains("bin/busybox", names);
        Assert.Contains("etc/passwd", names);
    }

    [Fact]
    public async Task A_blobs_only_pull_makes_no_snapshot_until_a_build_needs_the_image_then_unpacks_it_once()
    {
        Capabilities.RequireRoot();
        var reference = ImageReference.Parse(await NewRepositoryWithBusyboxAsync());
        using var rig = new PullRig();
        var (temp, store, puller) = (rig.Temp, rig.Store, rig.Puller);

        var pulled = await puller.PullAsync(reference, Platform.Host, unpack: false, Cancel);

        Assert.Null(pulled.TopSnapshot);
        Assert.Empty(temp.Root.Snapshots.Walk(_ => true));
        var config = store.ReadConfig(pulled);
        var manifest = store.ReadManifest(pulled);
        Assert.All(manifest.Layers.Append(manifest.Config), b => Assert.True(temp.Root.Content.Exists(b.Digest)));

        // A build asks for it (no registry request: policy never); concurrent builds share one unpack.
        var sources = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => puller.GetAsync(reference, Platform.Host, PullPolicy.Never, null, Cancel)));
        var top = Assert.Single(sources.Select(x => x.TopSnapshot).Distinct());
        Assert.NotNull(top);
        Assert.Equal(config.RootFs.DiffIds.Count, temp.Root.Snapshots.Walk(x => x.Key.StartsWith("layers/", StringComparison.Ordinal)).Count());
        Assert.Equal(top, store.Get(pulled.Manifest.Digest)!.TopSnapshot); // recorded: the next build finds it unpacked
        Assert.Contains("bin/busybox", await TarNamesAsync(temp, top));

        // A second blobs-only pull leaves the unpacked image as it is.
        var again = await puller.PullAsync(reference, Platform.Host, unpack: false, Cancel);
        Assert.Equal(top, again.TopSnapshot);
    }

    [Fact]
    public async Task A_blobs_only_image_whose_layer_was_damaged_on_disk_fails_its_first_build_with_the_image_named()
    {
        Capabilities.RequireRoot();
        var reference = ImageReference.Parse(await NewRepositoryWithBusyboxAsync());
        using var rig = new PullRig();
        var (temp, store, puller) = (rig.Temp, rig.Store, rig.Puller);
        var pulled = await puller.PullAsync(reference, Platform.Host, unpack: false, Cancel);
        var layer = store.ReadManifest(pulled).Layers[0].Digest;
        var path = Path.Combine(temp.Root.Path, "content", "blobs", "sha256", layer.Hex);
        File.WriteAllBytes(path, new byte[File.ReadAllBytes(path).Length]); // same size, zeros

        var e = await Assert.ThrowsAsync<ImagePullException>(() => puller.GetAsync(reference, Platform.Host, PullPolicy.Never, null, Cancel));

        Assert.StartsWith($"cannot unpack image {reference} ({pulled.Manifest.Digest}): ", e.Message, StringComparison.Ordinal);
        Assert.Empty(temp.Root.Snapshots.Walk(s => s.Key.StartsWith("layers/", StringComparison.Ordinal)));
    }

    private static async Task<List<string>> TarNamesAsync(TempDataRoot temp, string snapshot)
    {
        using var tar = new MemoryStream();
        await new Outputs.RootfsExporter(temp.Root).WriteTarAsync(snapshot, Archives.OutputTarget.ToStream(tar), null, Cancel);
        tar.Position = 0;
        var names = new List<string>();
        using var reader = new System.Formats.Tar.TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name.TrimStart('.', '/'));
        }
        return names;
    }

    [Fact]
    public async Task Concurrent_pulls_of_one_reference_share_one_result()
    {
        Capabilities.RequireRoot();
        var reference = ImageReference.Parse(await NewRepositoryWithBusyboxAsync());
        using var rig = new PullRig();
        var (temp, puller) = (rig.Temp, rig.Puller);
        var pulls = Enumerable.Range(0, 4).Select(_ => puller.PullAsync(reference, Platform.Host, Cancel)).ToArray();
        var images = await Task.WhenAll(pulls);
        Assert.All(images, i => Assert.Equal((images[0].Manifest, images[0].TopSnapshot), (i.Manifest, i.TopSnapshot)));
        Assert.Single(temp.Root.Snapshots.Walk(s => s.Key.StartsWith("layers/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Pushing_a_pulled_image_back_gives_the_identical_manifest_digest_and_skopeo_accepts_it()
    {
        Capabilities.RequireRoot();
        Tools.Require("skopeo");
        var reference = ImageReference.Parse(await BusyboxImage.ReferenceAsync());
        using var temp = new TempDataRoot();
        using var client = NewClient();
        var store = new ImageStore(temp.Root);
        var pulled = await new ImagePuller(store, client).PullAsync(reference, Platform.Host, Cancel);
        var target = ImageReference.Parse($"{reference.Registry}/pushback/{Guid.NewGuid():N}:v1");

        var pushed = await new ImagePusher(store, client).PushAsync(pulled, target, cancellationToken: Cancel);

        Assert.Equal(pulled.Manifest.Digest, pushed.Digest);
        using var inspect = JsonDocument.Parse(Tools.Run($"skopeo inspect --tls-verify=false docker://{target}"));
        Assert.Equal(pulled.Manifest.Digest.ToString(), inspect.RootElement.GetProperty("Digest").GetString());
    }

    [Fact]
    public async Task A_built_image_is_pushed_with_gzip_layers_that_skopeo_reads_and_a_fresh_store_pulls()
    {
        Capabilities.RequireRoot();
        Tools.Require("skopeo");
        var registry = await SharedRegistry.GetAsync();
        using var temp = new TempDataRoot();
        using var client = NewClient();
        var store = new ImageStore(temp.Root);
        var layers = TestImages.TwoLayers(temp);
        var built = new StoreExporter(store).Export(layers, "top", TestImages.Config(), [ImageReference.Parse("built:1")]);
        var target = ImageReference.Parse($"{registry.Host}/built/{Guid.NewGuid():N}:1");

        var pushed = await new ImagePusher(store, client).PushAsync(built, target, cancellationToken: Cancel);
        var again = await new ImagePusher(store, client).PushAsync(built, target, cancellationToken: Cancel);

        Assert.Equal(pushed.Digest, again.Digest); // the compressed layers are made once and reused
        Assert.NotEqual(built.Manifest.Digest, pushed.Digest);
        using var raw = JsonDocument.Parse(Tools.Run($"skopeo inspect --raw --tls-verify=false docker://{target}"));
        Assert.All(raw.RootElement.GetProperty("layers").EnumerateArray(), l => Assert.Equal(MediaTypes.OciLayerGzip, l.GetProperty("mediaType").GetString()));

        using var other = new TempDataRoot();
        var pulled = await new ImagePuller(new ImageStore(other.Root), client).PullAsync(target, Platform.Host, Cancel);
        Assert.Equal(pushed.Digest, pulled.Manifest.Digest);
        Assert.Equal(built.ConfigDigest, pulled.ConfigDigest);
    }

    [Fact]
    public async Task Default_policy_uses_the_local_copy_with_one_warning_when_the_registry_is_unreachable()
    {
        Capabilities.RequireRoot();
        var reference = ImageReference.Parse(await BusyboxImage.ReferenceAsync());
        using var rig = new PullRig();
        var (temp, store, puller) = (rig.Temp, rig.Store, rig.Puller);
        var pulled = await puller.PullAsync(reference, Platform.Host, Cancel);
        // Port 1 on loopback: nothing listens, the connection is refused.
        var offline = ImageReference.Parse("127.0.0.1:1/busybox:latest");
        store.Tag(pulled, offline);

        var warnings = new List<string>();
        var source = await puller.GetAsync(offline, Platform.Host, PullPolicy.Default, warnings.Add, Cancel);

        Assert.Equal(pulled.Manifest.Digest.ToString(), source.ManifestDigest);
        Assert.Equal(pulled.TopSnapshot, source.TopSnapshot);
        var warning = Assert.Single(warnings);
        Assert.Contains("127.0.0.1:1", warning);
        Assert.Contains("local copy", warning);

        var always = await Assert.ThrowsAsync<ImagePullException>(() => puller.GetAsync(offline, Platform.Host, PullPolicy.Always, warnings.Add, Cancel));
        Assert.Contains("127.0.0.1:1", always.Message);
        Assert.Single(warnings);

        var never = await puller.GetAsync(offline, Platform.Host, PullPolicy.Never, warnings.Add, Cancel);
        Assert.Equal(pulled.Manifest.Digest.ToString(), never.ManifestDigest);
    }

    [Fact]
    public async Task Default_policy_falls_back_on_a_404_too_but_without_a_local_copy_the_error_names_registry_repository_tag_and_cause()
    {
        Capabilities.RequireRoot();
        var registry = await SharedRegistry.GetAsync();
        using var rig = new PullRig();
        var (temp, store, puller) = (rig.Temp, rig.Store, rig.Puller);
        var missing = ImageReference.Parse($"{registry.Host}/absent/{Guid.NewGuid():N}:v9");

        var error = await Assert.ThrowsAsync<ImagePullException>(() => puller.GetAsync(missing, Platform.Host, PullPolicy.Default, _ => Assert.Fail("no local copy, no warning"), Cancel));
        Assert.Contains(registry.Host, error.Message);
        Assert.Contains(missing.Repository, error.Message);
        Assert.Contains("v9", error.Message);
        Assert.Contains("404", error.Message);

        var offline = ImageReference.Parse("127.0.0.1:1/nothing/here:3.1");
        var unreachable = await Assert.ThrowsAsync<ImagePullException>(() => puller.GetAsync(offline, Platform.Host, PullPolicy.Default, null, Cancel));
        Assert.Contains("127.0.0.1:1", unreachable.Message);
        Assert.Contains("nothing/here", unreachable.Message);
        Assert.Contains("3.1", unreachable.Message);

        var never = await Assert.ThrowsAsync<ImagePullException>(() => puller.GetAsync(offline, Platform.Host, PullPolicy.Never, null, Cancel));
        Assert.Contains("not in the local store", never.Message);

        // A local copy under the name turns the 404 into a warning.
        var layers = TestImages.TwoLayers(temp);
        new StoreExporter(store).Export(layers, "top", TestImages.Config(), [missing]);
        var warnings = new List<string>();
        await puller.GetAsync(missing, Platform.Host, PullPolicy.Default, warnings.Add, Cancel);
        Assert.Contains("404", Assert.Single(warnings));
    }

    [Fact]
    public async Task Default_policy_with_a_local_copy_asks_a_failing_registry_once_while_always_retries()
    {
        Capabilities.RequireRoot();
        using var registry = new CountingRegistry();
        using var temp = new TempDataRoot();
        using var client = new RegistryClient(new RegistryClientOptions
        {
            Credentials = AnonymousCredentials.Instance,
            MaxRetries = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        });
        var store = new ImageStore(temp.Root);
        using var puller = new ImagePuller(store, client);
        var reference = ImageReference.Parse($"{registry.Host}/flaky/app:1");
        var layers = TestImages.TwoLayers(temp);
        new StoreExporter(store).Export(layers, "top", TestImages.Config(), [reference]);

        var warnings = new List<string>();
        await puller.GetAsync(reference, Platform.Host, PullPolicy.Default, warnings.Add, Cancel);
        Assert.Equal(1, registry.ManifestRequests);
        Assert.Contains("503", Assert.Single(warnings));

        await Assert.ThrowsAsync<ImagePullException>(() => puller.GetAsync(reference, Platform.Host, PullPolicy.Always, null, Cancel));
        Assert.Equal(1 + 4, registry.ManifestRequests); // one try and three retries
    }
}
