using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;

namespace Builder.TestSupport;

/// <summary>
/// A small base image made from Debian's busybox-static, pushed to the process-wide
/// <see cref="SharedRegistry"/>: one gzip layer (/bin/busybox with applet links, /etc/passwd,
/// /etc/group, /root, /tmp), an OCI manifest, and a config with a default PATH and Cmd ["sh"].
/// </summary>
public static class BusyboxImage
{
    public const string Busybox = "/bin/busybox";
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public const string Passwd = """
        root:x:0:0:root:/root:/bin/sh
        daemon:x:1:1:daemon:/usr/sbin:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
        alice:x:1000:1000:Alice:/home/alice:/bin/sh
        bob:x:1001:1001::/home/bob:/bin/sh
        """;

    public const string Group = """
        root:x:0:
        daemon:x:1:
        staff:x:50:alice
        users:x:100:alice,bob
        nogroup:x:65534:
        alice:x:1000:
        bob:x:1001:
        devs:x:2000:
        """;

    /// <summary>Fixed, so the image (and its digests) are the same in every test run on one host.</summary>
    private static readonly DateTimeOffset Created = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _reference;

    /// <summary>
    /// Pushes the image once per process (thread-safe) and returns its reference,
    /// <c>127.0.0.1:PORT/busybox:latest</c>. Skips (or under CI fails) without docker-registry or busybox-static.
    /// </summary>
    public static async Task<string> ReferenceAsync()
    {
        var registry = await SharedRegistry.GetAsync();
        Capabilities.RequireTool(Busybox, "busybox-static");
        await Gate.WaitAsync();
        try
        {
            if (_reference is null)
            {
                await PushAsync(registry, "busybox", "latest");
                _reference = $"{registry.Host}/busybox:latest";
            }
            return _reference;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Pushes the image to <paramref name="repository"/>:<paramref name="tag"/> and returns its manifest descriptor.</summary>
    public static async Task<Descriptor> PushAsync(LocalRegistry registry, string repository, string tag, CancellationToken cancellationToken = default)
    {
        Capabilities.RequireTool(Busybox, "busybox-static");
        var directory = Directory.CreateTempSubdirectory("busybox-image-").FullName;
        try
        {
            var tarPath = Path.Combine(directory, "layer.tar");
            var gzipPath = Path.Combine(directory, "layer.tar.gz");
            await WriteRootfsTarAsync(tarPath, cancellationToken);
            Digest diffId;
            await using (var tar = File.OpenRead(tarPath))
            {
                diffId = Digest.FromSha256Bytes(await SHA256.HashDataAsync(tar, cancellationToken));
                tar.Position = 0;
                await using var output = File.Create(gzipPath);
                await using var gzip = new GZipStream(output, CompressionLevel.Optimal);
                await tar.CopyToAsync(gzip, cancellationToken);
            }
            Descriptor layer;
            await using (var gz = File.OpenRead(gzipPath))
            {
                layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.FromSha256Bytes(await SHA256.HashDataAsync(gz, cancellationToken)), gz.Length);
            }

            var platform = Platform.Host;
            var config = new ImageConfig
            {
                Created = Created,
                Architecture = platform.Architecture,
                Os = platform.Os,
                Variant = platform.Variant,
                Config = new ContainerConfig { Env = [DefaultPath], Cmd = ["sh"] },
                RootFs = new RootFs { DiffIds = [diffId.ToString()] },
                History = [new HistoryEntry { Created = Created, CreatedBy = "busybox-static rootfs (Builder.TestSupport)" }],
            };
            var configBytes = JsonSerializer.SerializeToUtf8Bytes(config, ImageJsonContext.Default.ImageConfig);
            var manifest = new ImageManifest
            {
                Config = new Descriptor(MediaTypes.OciConfig, Digest.Sha256Of(configBytes), configBytes.Length),
                Layers = [layer],
            };

            using var client = new RegistryClient(new RegistryClientOptions { Credentials = AnonymousCredentials.Instance });
            var remote = client.GetRepository(registry.Host, repository);
            await using (var gz = File.OpenRead(gzipPath))
            {
                await remote.Uploads.PushAsync(layer, gz, null, cancellationToken);
            }
            await remote.Uploads.PushAsync(MediaTypes.OciConfig, configBytes, null, cancellationToken);
            return await remote.Manifests.PutAsync(ManifestDocument.From(manifest), tag, cancellationToken);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The root filesystem as a tar owned by root, with fixed times (so the same busybox gives the same digest).</summary>
    private static async Task WriteRootfsTarAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = File.Create(path);
        await using var writer = new TarWriter(file, TarEntryFormat.Ustar);
        await writer.WriteEntryAsync(Entry(TarEntryType.Directory, "bin/", 0b111_101_101), cancellationToken);
        await using (var busybox = File.OpenRead(Busybox))
        {
            var entry = Entry(TarEntryType.RegularFile, "bin/busybox", 0b111_101_101);
            entry.DataStream = busybox;
            await writer.WriteEntryAsync(entry, cancellationToken);
        }
        // Like `busybox --install -s`, but relative links in /bin (PATH covers it).
        foreach (var applet in (await ListAppletsAsync(cancellationToken)).Order(StringComparer.Ordinal))
        {
            if (applet != "busybox")
            {
                var link = Entry(TarEntryType.SymbolicLink, $"bin/{applet}", 0b111_111_111);
                link.LinkName = "busybox";
                await writer.WriteEntryAsync(link, cancellationToken);
            }
        }
        await writer.WriteEntryAsync(Entry(TarEntryType.Directory, "etc/", 0b111_101_101), cancellationToken);
        await writer.WriteEntryAsync(TextFile("etc/group", Group + "\n"), cancellationToken);
        await writer.WriteEntryAsync(TextFile("etc/passwd", Passwd + "\n"), cancellationToken);
        await writer.WriteEntryAsync(Entry(TarEntryType.Directory, "root/", 0b111_000_000), cancellationToken);
        await writer.WriteEntryAsync(Entry(TarEntryType.Directory, "tmp/", 0b1_111_111_111), cancellationToken);
    }

    private static UstarTarEntry Entry(TarEntryType type, string name, int mode) => new(type, name)
    {
        Mode = (UnixFileMode)mode,
        Uid = 0,
        Gid = 0,
        UserName = "root",
        GroupName = "root",
        ModificationTime = Created,
    };

    private static UstarTarEntry TextFile(string name, string content)
    {
        var entry = Entry(TarEntryType.RegularFile, name, 0b110_100_100);
        entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return entry;
    }

    private static async Task<IReadOnlyList<string>> ListAppletsAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Busybox, ["--list"]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {Busybox}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Busybox} --list exited with {process.ExitCode}: {await error}");
        }
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
