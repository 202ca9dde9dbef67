using System.Formats.Tar;
using System.Text.Json.Nodes;

namespace Builder.Corpus.Tests.Trees;

/// <summary>
/// An image read from an OCI archive (index.json, blobs/sha256/...) or a docker-archive
/// (manifest.json, as `docker save` writes): its config document and its layer files in order.
/// The archive is unpacked into <paramref name="Directory"/>.
/// </summary>
public sealed record ImageArchive(string Directory, JsonObject Config, IReadOnlyList<string> Layers)
{
    public static ImageArchive Open(string archive, string unpackDir)
    {
        System.IO.Directory.CreateDirectory(unpackDir);
        TarFile.ExtractToDirectory(archive, unpackDir, overwriteFiles: true);
        var dockerManifest = Path.Combine(unpackDir, "manifest.json");
        var ociIndex = Path.Combine(unpackDir, "index.json");
        if (File.Exists(ociIndex))
        {
            var manifest = ResolveManifest(unpackDir, ReadJson(ociIndex));
            var config = ReadJson(BlobPath(unpackDir, manifest["config"]!["digest"]!.GetValue<string>()));
            var layers = manifest["layers"]!.AsArray()
                .Select(l => BlobPath(unpackDir, l!["digest"]!.GetValue<string>()))
                .ToList();
            return new ImageArchive(unpackDir, config, layers);
        }
        if (File.Exists(dockerManifest))
        {
            var entry = JsonNode.Parse(File.ReadAllText(dockerManifest))!.AsArray()[0]!;
            var config = ReadJson(Path.Combine(unpackDir, entry["Config"]!.GetValue<string>()));
            var layers = entry["Layers"]!.AsArray()
                .Select(l => Path.Combine(unpackDir, l!.GetValue<string>()))
                .ToList();
            return new ImageArchive(unpackDir, config, layers);
        }
        throw new InvalidDataException($"{archive}: neither index.json nor manifest.json at its root");
    }

    /// <summary>Applies the layers in order.</summary>
    public FsTree RootFs() => LayerApplier.Apply(Layers);

    private static JsonObject ResolveManifest(string dir, JsonObject indexOrManifest)
    {
        var current = indexOrManifest;
        for (var depth = 0; depth < 4; depth++)
        {
            if (current["layers"] is not null)
            {
                return current;
            }
            var manifests = current["manifests"]?.AsArray()
                ?? throw new InvalidDataException("an index without manifests");
            if (manifests.Count != 1)
            {
                throw new InvalidDataException($"expected one manifest in the index, found {manifests.Count}");
            }
            current = ReadJson(BlobPath(dir, manifests[0]!["digest"]!.GetValue<string>()));
        }
        throw new InvalidDataException("index nesting deeper than 4");
    }

    private static string BlobPath(string dir, string digest)
    {
        var parts = digest.Split(':', 2);
        return Path.Combine(dir, "blobs", parts[0], parts[1]);
    }

    private static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();
}
