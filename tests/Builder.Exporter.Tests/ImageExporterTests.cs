using System.Formats.Tar;
using System.Text.Json;
using Builder.Exporter.Outputs;
using Builder.Exporter.Store;
using Builder.Exporter.Tests.Support;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>Every --output type through the dispatcher, and the root filesystem outputs (type=local, type=tar).</summary>
public sealed class ImageExporterTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>"base" as in TestImages, then "rich": owners, modes, a symlink, a hardlink and a private directory.</summary>
    private static BuildResult RichBuild(TempDataRoot temp)
    {
        var layers = TestImages.TwoLayers(temp);
        TestImages.Layer(temp, "rich", layers[^1], d =>
        {
            var owned = Path.Combine(d, "home/alice/notes");
            Directory.CreateDirectory(Path.GetDirectoryName(owned)!);
            File.WriteAllText(owned, "alice's\n");
            Tools.Run($"chmod 0640 '{owned}' && chown 1000:1001 '{owned}' '{Path.GetDirectoryName(owned)}'");
            File.CreateSymbolicLink(Path.Combine(d, "etc/hello.link"), "hello");
            Tools.Run($"ln '{Path.Combine(d, "etc/hello")}' '{Path.Combine(d, "etc/hello.hard")}'");
            Directory.CreateDirectory(Path.Combine(d, "private"));
            Tools.Run($"chmod 0700 '{Path.Combine(d, "private")}'");
        });
        var config = TestImages.Config();
        config = config with { History = [.. config.History, new HistoryEntry { CreatedBy = "RUN rich" }] };
        return new BuildResult([.. layers, "rich"], "rich", config, ["example/rich:1"]);
    }

    private static ImageExporter Exporter(TempDataRoot temp, Stream? stdout = null) =>
        new(new ImageStore(temp.Root), new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance }), stdout ?? Stream.Null);

    [Fact]
    public async Task Type_local_copies_the_final_tree_with_owners_modes_symlinks_and_hardlinks()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var build = RichBuild(temp);
        var dest = Path.Combine(temp.NewDir("out"), "rootfs");

        var result = await Exporter(temp).ExportAsync(OutputSpec.Parse($"type=local,dest={dest}"), build, null, Cancel);

        Assert.Empty(result.ToMetadata());
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(dest, "etc/hello")));
        Assert.False(File.Exists(Path.Combine(dest, "etc/gone")));
        Assert.Equal(100_000, new FileInfo(Path.Combine(dest, "app/data")).Length);
        Assert.Equal("1000:1001 640", Tools.Run($"stat -c '%u:%g %a' '{Path.Combine(dest, "home/alice/notes")}'").Trim());
        Assert.Equal("1000:1001", Tools.Run($"stat -c '%u:%g' '{Path.Combine(dest, "home/alice")}'").Trim());
        Assert.Equal("755", Tools.Run($"stat -c '%a' '{Path.Combine(dest, "bin/tool")}'").Trim());
        Assert.Equal("700", Tools.Run($"stat -c '%a' '{Path.Combine(dest, "private")}'").Trim());
        Assert.Equal("hello", new FileInfo(Path.Combine(dest, "etc/hello.link")).LinkTarget);
        Assert.Equal(Tools.Run($"stat -c %i '{Path.Combine(dest, "etc/hello")}'"), Tools.Run($"stat -c %i '{Path.Combine(dest, "etc/hello.hard")}'"));
        Assert.Empty(Directory.EnumerateFiles(dest, ".wh.*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Type_tar_is_one_deterministic_tar_of_the_final_tree_to_a_file_or_stdout()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var build = RichBuild(temp);
        var file = Path.Combine(temp.NewDir("out"), "rootfs.tar");
        await Exporter(temp).ExportAsync(OutputSpec.Parse($"type=tar,dest={file}"), build, 1_700_000_000, Cancel);
        using var stdout = new MemoryStream();
        await Exporter(temp, stdout).ExportAsync(OutputSpec.Parse("-"), build, 1_700_000_000, Cancel);

        Assert.Equal(File.ReadAllBytes(file), stdout.ToArray());
        var entries = new Dictionary<string, TarEntry>();
        using (var reader = new TarReader(new MemoryStream(stdout.ToArray())))
        {
            while (reader.GetNextEntry(copyData: true) is { } entry)
            {
                entries[entry.Name.TrimStart('.', '/').TrimEnd('/')] = entry;
            }
        }
        var notes = entries["home/alice/notes"];
        Assert.Equal((1000, 1001), (notes.Uid, notes.Gid));
        Assert.Equal((UnixFileMode)0b110_100_000, notes.Mode);
        Assert.Equal(TarEntryType.SymbolicLink, entries["etc/hello.link"].EntryType);
        Assert.Equal("hello", entries["etc/hello.link"].LinkName);
        Assert.Contains(TarEntryType.HardLink, new[] { entries["etc/hello"].EntryType, entries["etc/hello.hard"].EntryType });
        Assert.DoesNotContain("etc/gone", entries.Keys);
        Assert.Contains("app/data", entries.Keys);
        Assert.All(entries.Values, e => Assert.True(e.ModificationTime <= DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), $"{e.Name} not clamped"));
    }

    [Fact]
    public async Task Type_image_stores_the_result_and_reports_the_metadata_keys()
    {
        Capabilities.RequireRoot();
        using var temp = new TempDataRoot();
        var build = RichBuild(temp);

        var result = await Exporter(temp).ExportAsync(OutputSpec.Parse("type=image,name=example/a:1,name=example/b:2"), build, null, Cancel);

        var stored = new ImageStore(temp.Root).Require("example/b:2");
        var metadata = result.ToMetadata();
        Assert.Equal(stored.Manifest.Digest.ToString(), metadata["containerimage.digest"]);
        Assert.Equal(stored.ConfigDigest.ToString(), metadata["containerimage.config.digest"]);
        Assert.Equal("docker.io/example/a:1,docker.io/example/b:2", metadata["image.name"]);
        Assert.Equal("rich", stored.TopSnapshot);

        var fromTag = await Exporter(temp).ExportAsync(OutputSpec.Parse("type=image"), build, null, Cancel);
        Assert.Equal(["docker.io/example/rich:1"], fromTag.ImageNames);
        Assert.Equal(stored.Manifest.Digest.ToString(), fromTag.ManifestDigest);
    }

    [Fact]
    public async Task Type_registry_stores_and_pushes_and_skopeo_reads_the_pushed_image()
    {
        Capabilities.RequireRoot();
        Tools.Require("skopeo");
        var registry = await SharedRegistry.GetAsync();
        using var temp = new TempDataRoot();
        var build = RichBuild(temp);
        var name = $"{registry.Host}/outputs/{Guid.NewGuid():N}:1";

        var result = await Exporter(temp).ExportAsync(OutputSpec.Parse($"type=registry,name={name}"), build, null, Cancel);

        using var inspect = JsonDocument.Parse(Tools.Run($"skopeo inspect --tls-verify=false docker://{name}"));
        Assert.Equal(result.ManifestDigest, inspect.RootElement.GetProperty("Digest").GetString());
        Assert.Equal(3, inspect.RootElement.GetProperty("Layers").GetArrayLength());
        Assert.NotNull(new ImageStore(temp.Root).Find(name));
    }

    [Fact]
    public async Task Type_oci_directory_on_a_pulled_base_keeps_the_base_blob_and_umoci_unpacks_it()
    {
        Capabilities.RequireRoot();
        Tools.Require("umoci");
        var reference = ImageReference.Parse(await BusyboxImage.ReferenceAsync());
        using var temp = new TempDataRoot();
        var store = new ImageStore(temp.Root);
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance });
        var pulled = await new ImagePuller(store, client).PullAsync(reference, Platform.Host, Cancel);
        TestImages.Layer(temp, "app", pulled.TopSnapshot, d => File.WriteAllText(Path.Combine(d, "etc/app.conf"), "on=1\n"));
        var baseConfig = store.ReadConfig(pulled);
        var config = baseConfig with { History = [.. baseConfig.History, new HistoryEntry { CreatedBy = "COPY app.conf /etc/" }] };
        var build = new BuildResult([pulled.TopSnapshot!, "app"], "app", config, ["example/app:v1"]);
        var layout = Path.Combine(temp.NewDir("out"), "layout");

        var result = await Exporter(temp).ExportAsync(OutputSpec.Parse($"type=oci,tar=false,dest={layout}"), build, null, Cancel);

        var manifest = Oci.Manifests.ImageManifest.Parse(File.ReadAllBytes(Path.Combine(layout, "blobs/sha256", Digest.Parse(result.ManifestDigest!).Hex)));
        Assert.Equal(store.ReadManifest(pulled).Layers[0], manifest.Layers[0]); // the pulled gzip blob, not a re-export
        var bundle = Path.Combine(temp.NewDir("bundle"), "b");
        Tools.Run($"umoci unpack --image {layout}:v1 {bundle}");
        Assert.Equal("on=1\n", File.ReadAllText(Path.Combine(bundle, "rootfs/etc/app.conf")));
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs/bin/busybox")));
    }

    [Fact]
    public async Task Type_docker_with_source_date_epoch_gives_identical_archives_and_skopeo_reads_them()
    {
        Capabilities.RequireRoot();
        Tools.Require("skopeo");
        using var temp = new TempDataRoot();
        var build = RichBuild(temp);
        var dir = temp.NewDir("out");
        var first = await Exporter(temp).ExportAsync(OutputSpec.Parse($"type=docker,dest={dir}/a.tar"), build, 1_700_000_000, Cancel);
        var second = await Exporter(temp).ExportAsync(OutputSpec.Parse($"type=docker,dest={dir}/b.tar"), build, 1_700_000_000, Cancel);

        Assert.Equal(first.ManifestDigest, second.ManifestDigest);
        Assert.Equal(File.ReadAllBytes($"{dir}/a.tar"), File.ReadAllBytes($"{dir}/b.tar"));
        using var inspect = JsonDocument.Parse(Tools.Run($"skopeo inspect docker-archive:{dir}/a.tar"));
        Assert.Equal(3, inspect.RootElement.GetProperty("Layers").GetArrayLength());
    }

    [Fact]
    public async Task A_base_pulled_with_docker_media_types_is_stored_under_an_oci_manifest_with_oci_layer_types()
    {
        Capabilities.RequireRoot();
        Tools.Require("skopeo");
        var busybox = await BusyboxImage.ReferenceAsync();
        var registry = await SharedRegistry.GetAsync();
        var dockerFormat = $"{registry.Host}/dockerformat/{Guid.NewGuid():N}:1";
        Tools.Run($"skopeo copy -q --format v2s2 --src-tls-verify=false --dest-tls-verify=false docker://{busybox} docker://{dockerFormat}");
        using var temp = new TempDataRoot();
        var store = new ImageStore(temp.Root);
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance });
        var pulled = await new ImagePuller(store, client).PullAsync(ImageReference.Parse(dockerFormat), Platform.Host, Cancel);
        Assert.Equal(MediaTypes.DockerLayerGzip, store.ReadManifest(pulled).Layers[0].MediaType);
        TestImages.Layer(temp, "app", pulled.TopSnapshot, d => File.WriteAllText(Path.Combine(d, "etc/app.conf"), "on=1\n"));
        var baseConfig = store.ReadConfig(pulled);
        var build = new BuildResult([pulled.TopSnapshot!, "app"], "app", baseConfig with { History = [.. baseConfig.History, new HistoryEntry { CreatedBy = "COPY" }] }, ["example/app:1"]);

        var result = await Exporter(temp).ExportAsync(OutputSpec.Parse("type=image"), build, null, Cancel);

        var manifest = store.ReadManifest(store.Require("example/app:1"));
        Assert.Equal(MediaTypes.OciManifest, manifest.MediaType);
        Assert.Equal(MediaTypes.OciConfig, manifest.Config.MediaType);
        Assert.Equal([MediaTypes.OciLayerGzip, MediaTypes.OciLayerTar], manifest.Layers.Select(l => l.MediaType));
        Assert.Equal(store.ReadManifest(pulled).Layers[0].Digest, manifest.Layers[0].Digest);
        Assert.NotNull(result.ManifestDigest);
    }
}
