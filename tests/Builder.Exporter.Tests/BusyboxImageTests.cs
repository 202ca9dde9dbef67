using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.TestSupport;

namespace Builder.Exporter.Tests;

/// <summary>The shared busybox base image that solver, CLI and corpus tests pull.</summary>
public sealed class BusyboxImageTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Busybox_image_resolves_from_the_shared_registry_with_one_gzip_layer_and_its_config()
    {
        var reference = await BusyboxImage.ReferenceAsync();
        var registry = await SharedRegistry.GetAsync();
        Assert.Equal($"{registry.Host}/busybox:latest", reference);
        Assert.Same(reference, await BusyboxImage.ReferenceAsync());

        using var client = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance });
        var resolution = await client.ResolveImageAsync(ImageReference.Parse(reference), Platform.Host, Cancel);
        var layer = Assert.Single(resolution.Manifest.Layers);
        Assert.Equal(Builder.Oci.MediaTypes.OciLayerGzip, layer.MediaType);
        Assert.Equal(Builder.Oci.MediaTypes.OciManifest, resolution.ManifestDescriptor.MediaType);
        Assert.Equal([BusyboxImage.DefaultPath], resolution.Config.Config.Env);
        Assert.Equal(["sh"], resolution.Config.Config.Cmd);
        Assert.Single(resolution.Config.RootFs.DiffIds);
    }
}
