using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.Registry;

namespace Builder.Oci.Tests.Support;

/// <summary>A layer made here: a gzip-compressed tar holding one file of random bytes.</summary>
public sealed record TestLayer(Descriptor Descriptor, byte[] Bytes, Digest DiffId);

/// <summary>An image made here: its layers, config and manifest, ready to push.</summary>
public sealed record TestImage(ManifestDocument Manifest, Descriptor Config, byte[] ConfigBytes, IReadOnlyList<TestLayer> Layers, Platform Platform);

public static class TestImages
{
    public static TestLayer RandomLayer(int size, string mediaType = MediaTypes.OciLayerGzip)
    {
        using var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, $"data/{Guid.NewGuid():N}.bin")
            {
                DataStream = new MemoryStream(RandomNumberGenerator.GetBytes(size)),
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            writer.WriteEntry(entry);
        }
        var diffId = Digest.Sha256Of(tar.ToArray());
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            tar.Position = 0;
            tar.CopyTo(gzip);
        }
        var bytes = gz.ToArray();
        return new TestLayer(new Descriptor(mediaType, Digest.Sha256Of(bytes), bytes.Length), bytes, diffId);
    }

    public static TestImage Image(Platform platform, ManifestFormat format, params TestLayer[] layers)
    {
        var config = new ImageConfig
        {
            Architecture = platform.Architecture,
            Os = platform.Os,
            Variant = platform.Variant,
            Config = new ContainerConfig { Cmd = ["/bin/true"], Env = ["PATH=/usr/bin:/bin"] },
            RootFs = new RootFs { DiffIds = layers.Select(l => l.DiffId.ToString()).ToArray() },
        };
        var configBytes = JsonSerializer.SerializeToUtf8Bytes(config, ImageJsonContext.Default.ImageConfig);
        var configDescriptor = new Descriptor(MediaTypes.OciConfig, Digest.Sha256Of(configBytes), configBytes.Length);
        var manifest = new ImageManifest
        {
            Config = configDescriptor,
            Layers = layers.Select(l => l.Descriptor).ToArray(),
        }.ConvertTo(format);
        return new TestImage(ManifestDocument.From(manifest), manifest.Config, configBytes, layers, platform);
    }

    /// <summary>Pushes the layers and config, then the manifest (by tag, or by digest when tag is null).</summary>
    public static async Task<Descriptor> PushAsync(RegistryRepository repository, TestImage image, string? tag, CancellationToken cancellationToken = default)
    {
        foreach (var layer in image.Layers)
        {
            await using var stream = new MemoryStream(layer.Bytes, writable: false);
            await repository.Uploads.PushAsync(layer.Descriptor, stream, null, cancellationToken);
        }
        await repository.Uploads.PushAsync(image.Config.MediaType, image.ConfigBytes, null, cancellationToken);
        return await repository.Manifests.PutAsync(image.Manifest, tag, cancellationToken);
    }
}
