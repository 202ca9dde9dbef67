using System.Net;
using System.Text.Json;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.Oci.Tests.Support;
using Builder.TestSupport;

namespace Builder.Oci.Tests.Registry;

/// <summary>Push and pull against a real docker-registry (distribution v2.8) on 127.0.0.1.</summary>
public sealed class RegistryRoundTripTests(RegistryFixture fixture)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static RegistryClient NewClient(RegistryClientOptions? options = null) =>
        new(options ?? new RegistryClientOptions { Credentials = AnonymousCredentials.Instance });

    private static string NewRepository(string prefix) => $"{prefix}/{Guid.NewGuid():N}";

    [Fact]
    public async Task Pushed_image_pulls_back_with_identical_digests_and_bytes()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient();
        var repository = client.GetRepository(registry.Host, NewRepository("roundtrip"));
        var image = TestImages.Image(new Platform("linux", "amd64"), ManifestFormat.Oci, TestImages.RandomLayer(200_000), TestImages.RandomLayer(10_000));

        var pushed = await TestImages.PushAsync(repository, image, "v1", Cancel);
        Assert.Equal(image.Manifest.Digest, pushed.Digest);

        var byTag = await repository.Manifests.GetAsync("v1", Cancel);
        Assert.Equal(image.Manifest.Digest, byTag.Digest);
        Assert.Equal(image.Manifest.Bytes.ToArray(), byTag.Bytes.ToArray());
        Assert.Equal(MediaTypes.OciManifest, byTag.MediaType);
        var byDigest = await repository.Manifests.GetAsync(image.Manifest.Digest.ToString(), Cancel);
        Assert.Equal(image.Manifest.Bytes.ToArray(), byDigest.Bytes.ToArray());

        foreach (var layer in image.Layers)
        {
            await using var stream = await repository.Blobs.OpenReadAsync(byTag.Manifest!.Layers.Single(l => l.Digest == layer.Descriptor.Digest), Cancel);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, Cancel);
            Assert.Equal(layer.Bytes, copy.ToArray());
        }
        var stat = await repository.Manifests.StatAsync("v1", Cancel);
        Assert.Equal(image.Manifest.Descriptor, stat);
        Assert.Equal(image.Layers[0].Descriptor.Size, (await repository.Blobs.StatAsync(image.Layers[0].Descriptor.Digest, Cancel))!.Size);
        Assert.Null(await repository.Blobs.StatAsync(Digest.Sha256Of([1, 2, 3]), Cancel));
        Assert.Null(await repository.Manifests.StatAsync("missing", Cancel));
    }

    [Fact]
    public async Task Docker_schema2_manifest_round_trips_and_resolves_the_config()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient();
        var repository = client.GetRepository(registry.Host, NewRepository("docker"));
        var image = TestImages.Image(new Platform("linux", "amd64"), ManifestFormat.Docker, TestImages.RandomLayer(5_000, MediaTypes.DockerLayerGzip));
        Assert.Equal(MediaTypes.DockerConfig, image.Config.MediaType);
        await TestImages.PushAsync(repository, image, "latest", Cancel);

        var resolution = await repository.ResolveImageAsync("latest", new Platform("linux", "amd64"), Cancel);
        Assert.Equal(MediaTypes.DockerManifest, resolution.ManifestDescriptor.MediaType);
        Assert.Equal(image.Manifest.Digest, resolution.ManifestDescriptor.Digest);
        Assert.Null(resolution.IndexDescriptor);
        Assert.Equal(["/bin/true"], resolution.Config.Config.Cmd);
        Assert.Equal(image.Layers[0].DiffId.ToString(), resolution.Config.RootFs.DiffIds.Single());
    }

    [Fact]
    public async Task Index_with_two_platforms_resolves_to_each_platforms_manifest()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient();
        var repository = client.GetRepository(registry.Host, NewRepository("multi"));
        var amd64 = TestImages.Image(new Platform("linux", "amd64"), ManifestFormat.Oci, TestImages.RandomLayer(3_000));
        var arm64 = TestImages.Image(new Platform("linux", "arm64", "v8"), ManifestFormat.Oci, TestImages.RandomLayer(3_000));
        await TestImages.PushAsync(repository, amd64, null, Cancel);
        await TestImages.PushAsync(repository, arm64, null, Cancel);
        var index = ManifestDocument.From(new ImageIndex
        {
            Manifests =
            [
                amd64.Manifest.Descriptor with { Platform = new Platform("linux", "amd64") },
                arm64.Manifest.Descriptor with { Platform = new Platform("linux", "arm64", "v8") },
            ],
        });
        await repository.Manifests.PutAsync(index, "multi", Cancel);

        var forArm = await repository.Manifests.ResolveAsync("multi", Platform.Parse("linux/arm64"), Cancel);
        Assert.Equal(arm64.Manifest.Digest, forArm.Manifest.Digest);
        Assert.Equal(index.Digest, forArm.Index!.Digest);
        var forAmd = await repository.ResolveImageAsync("multi", Platform.Parse("linux/x86_64"), Cancel);
        Assert.Equal(amd64.Manifest.Digest, forAmd.ManifestDescriptor.Digest);
        Assert.Equal("amd64", forAmd.Config.Architecture);
        var byDigest = await repository.Manifests.ResolveAsync(index.Digest.ToString(), Platform.Parse("linux/arm64/v8"), Cancel);
        Assert.Equal(arm64.Manifest.Digest, byDigest.Manifest.Digest);

        // Through image references, as the frontend resolves base images; a digest wins over a tag.
        var viaTag = await client.ResolveImageAsync(ImageReference.Parse($"{registry.Host}/{repository.Name}:multi"), Platform.Parse("linux/arm64"), Cancel);
        Assert.Equal(arm64.Manifest.Digest, viaTag.ManifestDescriptor.Digest);
        Assert.Equal(index.Digest, viaTag.IndexDescriptor!.Digest);
        var viaDigest = await client.ResolveImageAsync(ImageReference.Parse($"{registry.Host}/{repository.Name}:nonexistent@{amd64.Manifest.Digest}"), Platform.Parse("linux/amd64"), Cancel);
        Assert.Equal(amd64.Manifest.Digest, viaDigest.ManifestDescriptor.Digest);
        Assert.Null(viaDigest.IndexDescriptor);

        var error = await Assert.ThrowsAsync<RegistryException>(() => repository.Manifests.ResolveAsync("multi", Platform.Parse("linux/s390x"), Cancel));
        Assert.Contains("linux/s390x", error.Message);
        Assert.Contains("linux/amd64, linux/arm64/v8", error.Message);
        Assert.Contains(registry.Host + "/" + repository.Name, error.Message);
    }

    [Fact]
    public async Task Blob_is_mounted_from_another_repository_instead_of_uploaded()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient();
        var source = client.GetRepository(registry.Host, NewRepository("mount-src"));
        var target = client.GetRepository(registry.Host, NewRepository("mount-dst"));
        var layer = TestImages.RandomLayer(50_000);
        await using (var stream = new MemoryStream(layer.Bytes))
        {
            Assert.Equal(BlobPushOutcome.Uploaded, await source.Uploads.PushAsync(layer.Descriptor, stream, null, Cancel));
        }
        await using (var stream = new MemoryStream(layer.Bytes))
        {
            Assert.Equal(BlobPushOutcome.AlreadyExists, await source.Uploads.PushAsync(layer.Descriptor, stream, null, Cancel));
        }
        Assert.False(await target.Blobs.ExistsAsync(layer.Descriptor.Digest, Cancel));
        await using (var unread = new MemoryStream(layer.Bytes))
        {
            var outcome = await target.Uploads.PushAsync(layer.Descriptor, unread, new BlobPushOptions { MountFrom = [source.Name] }, Cancel);
            Assert.Equal(BlobPushOutcome.Mounted, outcome);
            Assert.Equal(0, unread.Position); // nothing was read: the registry linked the blob
        }
        Assert.True(await target.Blobs.ExistsAsync(layer.Descriptor.Digest, Cancel));

        // A mount from a repository without the blob falls back to an upload.
        var other = TestImages.RandomLayer(1_000);
        await using var otherStream = new MemoryStream(other.Bytes);
        Assert.Equal(BlobPushOutcome.Uploaded, await target.Uploads.PushAsync(other.Descriptor, otherStream, new BlobPushOptions { MountFrom = [source.Name] }, Cancel));
    }

    [Fact]
    public async Task Chunked_upload_stores_the_same_bytes()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance, ChunkSize = 64 * 1024 });
        var repository = client.GetRepository(registry.Host, NewRepository("chunked"));
        var layer = TestImages.RandomLayer(300_000);
        await using (var stream = new MemoryStream(layer.Bytes))
        {
            Assert.Equal(BlobPushOutcome.Uploaded, await repository.Uploads.PushAsync(layer.Descriptor, stream, null, Cancel));
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory("builder-oci-").FullName, "blob");
        try
        {
            await repository.Blobs.DownloadAsync(layer.Descriptor, path, Cancel);
            Assert.Equal(layer.Bytes, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task Content_that_does_not_match_its_descriptor_is_not_committed()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance, ChunkSize = 16 * 1024 });
        var repository = client.GetRepository(registry.Host, NewRepository("mismatch"));
        var layer = TestImages.RandomLayer(40_000);
        var lying = layer.Descriptor with { Digest = Digest.Sha256Of([9, 9, 9]) };
        await using (var stream = new MemoryStream(layer.Bytes))
        {
            var chunked = await Assert.ThrowsAsync<RegistryException>(() => repository.Uploads.PushAsync(lying, stream, null, Cancel));
            Assert.Contains("the source content has digest " + layer.Descriptor.Digest, chunked.Message);
        }
        await using (var stream = new MemoryStream(layer.Bytes))
        {
            var monolithic = await Assert.ThrowsAsync<RegistryException>(() => repository.Uploads.PushAsync(lying, stream, new BlobPushOptions { ChunkSize = 1 << 20 }, Cancel));
            Assert.Contains("the source content has digest " + layer.Descriptor.Digest, monolithic.Message);
        }
        Assert.False(await repository.Blobs.ExistsAsync(lying.Digest, Cancel));
        Assert.False(await repository.Blobs.ExistsAsync(layer.Descriptor.Digest, Cancel));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(4096L)]
    public async Task Source_shorter_than_its_descriptor_fails_clearly(long? chunkSize)
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance, MaxRetries = 1, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        var repository = client.GetRepository(registry.Host, NewRepository("short"));
        var layer = TestImages.RandomLayer(20_000);
        await using var stream = new MemoryStream(layer.Bytes[..(layer.Bytes.Length / 2)]);
        var error = await Assert.ThrowsAsync<RegistryException>(() => repository.Uploads.PushAsync(layer.Descriptor, stream, new BlobPushOptions { ChunkSize = chunkSize }, Cancel));
        Assert.Contains($"the source ended after {layer.Bytes.Length / 2} of {layer.Descriptor.Size} bytes", error.Message);
        Assert.False(await repository.Blobs.ExistsAsync(layer.Descriptor.Digest, Cancel));
    }

    [Fact]
    public async Task Missing_manifest_error_names_registry_repository_operation_and_status()
    {
        var registry = await fixture.PlainAsync();
        using var client = NewClient();
        var repository = client.GetRepository(registry.Host, "nothing/here");
        var error = await Assert.ThrowsAsync<RegistryException>(() => repository.Manifests.GetAsync("v9", Cancel));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains($"pull manifest v9 from {registry.Host}/nothing/here: HTTP 404", error.Message);
        Assert.Contains("MANIFEST_UNKNOWN", error.Message);
    }

    [Fact]
    public async Task Skopeo_inspects_and_copies_what_we_pushed()
    {
        RegistryFixture.RequireTool("/usr/bin/skopeo", "skopeo");
        var registry = await fixture.PlainAsync();
        using var client = NewClient();
        var repository = client.GetRepository(registry.Host, NewRepository("skopeo"));
        var image = TestImages.Image(new Platform("linux", "amd64"), ManifestFormat.Oci, TestImages.RandomLayer(20_000), TestImages.RandomLayer(7_000));
        await TestImages.PushAsync(repository, image, "v1", Cancel);
        var reference = $"docker://{registry.Host}/{repository.Name}:v1";

        var inspect = await ExternalTool.RunAsync("skopeo", ["inspect", "--tls-verify=false", reference], Cancel);
        using (var json = JsonDocument.Parse(inspect))
        {
            Assert.Equal(image.Manifest.Digest.ToString(), json.RootElement.GetProperty("Digest").GetString());
            Assert.Equal(image.Layers.Select(l => l.Descriptor.Digest.ToString()), json.RootElement.GetProperty("Layers").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("amd64", json.RootElement.GetProperty("Architecture").GetString());
        }

        var layout = Directory.CreateTempSubdirectory("builder-oci-layout-").FullName;
        try
        {
            await ExternalTool.RunAsync("skopeo", ["copy", "--insecure-policy", "--src-tls-verify=false", reference, $"oci:{layout}:v1"], Cancel);
            foreach (var layer in image.Layers)
            {
                Assert.Equal(layer.Bytes, File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", layer.Descriptor.Digest.Hex)));
            }
            Assert.Equal(image.ConfigBytes, File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", image.Config.Digest.Hex)));

            // And back: skopeo pushes the layout to a new repository, we pull the same image from it.
            var copied = NewRepository("skopeo-copy");
            await ExternalTool.RunAsync("skopeo", ["copy", "--insecure-policy", "--dest-tls-verify=false", $"oci:{layout}:v1", $"docker://{registry.Host}/{copied}:v1"], Cancel);
            var resolved = await client.GetRepository(registry.Host, copied).ResolveImageAsync("v1", new Platform("linux", "amd64"), Cancel);
            Assert.Equal(image.Layers.Select(l => l.Descriptor.Digest), resolved.Manifest.Layers.Select(l => l.Digest));
        }
        finally
        {
            Directory.Delete(layout, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_registry_with_basic_auth_works_with_the_ca_directory_and_credentials()
    {
        var registry = await fixture.SecureAsync();
        var credentials = new StaticCredentials(registry.Host, new RegistryCredentials(LocalRegistry.User, LocalRegistry.Password));
        using var client = new RegistryClient(new RegistryClientOptions { Credentials = credentials, CaDirectory = registry.CaDirectory });
        var repository = client.GetRepository(registry.Host, NewRepository("secure"));
        var image = TestImages.Image(new Platform("linux", "amd64"), ManifestFormat.Oci, TestImages.RandomLayer(30_000));
        await TestImages.PushAsync(repository, image, "v1", Cancel);
        var resolved = await repository.ResolveImageAsync("v1", new Platform("linux", "amd64"), Cancel);
        Assert.Equal(image.Manifest.Digest, resolved.ManifestDescriptor.Digest);
    }

    [Fact]
    public async Task Ca_directory_sub_folders_trust_only_the_host_they_are_named_after()
    {
        var registry = await fixture.SecureAsync();
        var caRoot = Directory.CreateTempSubdirectory("builder-ca-").FullName;
        try
        {
            var good = new StaticCredentials(registry.Host, new RegistryCredentials(LocalRegistry.User, LocalRegistry.Password));
            var forHost = Directory.CreateDirectory(Path.Combine(caRoot, "right", registry.Host)).FullName;
            File.Copy(Path.Combine(registry.CaDirectory, "ca.crt"), Path.Combine(forHost, "ca.crt"));
            using (var client = new RegistryClient(new RegistryClientOptions { Credentials = good, CaDirectory = Path.Combine(caRoot, "right"), MaxRetries = 0 }))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetRepository(registry.Host, "secure/y").Manifests.GetAsync("v1", Cancel));
                Assert.Equal(HttpStatusCode.NotFound, error.StatusCode); // trusted, authenticated, and simply absent
            }
            var forOther = Directory.CreateDirectory(Path.Combine(caRoot, "wrong", "127.0.0.1:1")).FullName;
            File.Copy(Path.Combine(registry.CaDirectory, "ca.crt"), Path.Combine(forOther, "ca.crt"));
            using (var client = new RegistryClient(new RegistryClientOptions { Credentials = good, CaDirectory = Path.Combine(caRoot, "wrong"), MaxRetries = 0 }))
            {
                var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetRepository(registry.Host, "secure/y").Manifests.GetAsync("v1", Cancel));
                Assert.Contains("TLS handshake failed", error.Message);
            }
        }
        finally
        {
            Directory.Delete(caRoot, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_registry_rejects_missing_credentials_and_an_unknown_ca_without_falling_back_to_http()
    {
        var registry = await fixture.SecureAsync();
        using (var anonymous = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance, CaDirectory = registry.CaDirectory, MaxRetries = 0 }))
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => anonymous.GetRepository(registry.Host, "secure/x").Manifests.GetAsync("v1", Cancel));
            Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
            Assert.Contains($"{registry.Host}/secure/x", error.Message);
        }
        var credentials = new StaticCredentials(registry.Host, new RegistryCredentials(LocalRegistry.User, "wrong"));
        using (var wrongPassword = new RegistryClient(new RegistryClientOptions { Credentials = credentials, CaDirectory = registry.CaDirectory, MaxRetries = 0 }))
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => wrongPassword.GetRepository(registry.Host, "secure/x").Manifests.GetAsync("v1", Cancel));
            Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        }
        var good = new StaticCredentials(registry.Host, new RegistryCredentials(LocalRegistry.User, LocalRegistry.Password));
        using (var untrusted = new RegistryClient(new RegistryClientOptions { Credentials = good, MaxRetries = 0 }))
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => untrusted.GetRepository(registry.Host, "secure/x").Manifests.GetAsync("v1", Cancel));
            Assert.Null(error.StatusCode); // never an HTTP answer: the TLS handshake failed
            Assert.Contains("TLS handshake failed", error.Message);
            Assert.Contains("CA directory", error.Message);
        }
        using (var insecure = new RegistryClient(new RegistryClientOptions { Credentials = good, InsecureRegistries = [registry.Host] }))
        {
            var error = await Assert.ThrowsAsync<RegistryException>(() => insecure.GetRepository(registry.Host, "secure/x").Manifests.GetAsync("v1", Cancel));
            Assert.Equal(HttpStatusCode.NotFound, error.StatusCode); // reached (TLS unverified) and authenticated
        }
    }
}

/// <summary>Credentials for exactly one host.</summary>
public sealed class StaticCredentials(string host, RegistryCredentials credentials) : ICredentialProvider
{
    public RegistryCredentials? GetCredentials(string requested) =>
        RegistryHostNames.CredentialKey(requested) == RegistryHostNames.CredentialKey(host) ? credentials : null;
}
