using System.Text.Json.Nodes;
using Builder.Corpus.Tests.Trees;

namespace Builder.Corpus.Tests.Docker;

/// <summary>
/// An image in the private daemon's store, read back as its config document and its root
/// filesystem. `docker save` gives both; docker 20.10 cannot save an image without layers (a
/// FROM scratch stage with only config instructions), so for those the config is rebuilt from
/// `docker image inspect` and `docker history`: with no layers every history entry is empty.
/// </summary>
public sealed record DockerImage(JsonObject Config, FsTree RootFs, int LayerCount)
{
    public static DockerImage Load(DockerDaemon docker, string tag, string workDir)
    {
        Directory.CreateDirectory(workDir);
        var inspect = docker.Run(["image", "inspect", tag]);
        if (inspect.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker image inspect {tag} failed\n{inspect.Describe()}");
        }
        var info = JsonNode.Parse(inspect.Out)!.AsArray()[0]!.AsObject();
        var layers = (info["RootFS"]?["Layers"] as JsonArray)?.Count ?? 0;
        if (layers > 0)
        {
            var saved = Path.Combine(workDir, "docker.tar");
            var save = docker.Run(["save", "-o", saved, tag]);
            if (save.ExitCode != 0)
            {
                throw new InvalidOperationException($"docker save {tag} failed\n{save.Describe()}");
            }
            var archive = ImageArchive.Open(saved, Path.Combine(workDir, "docker.image"));
            return new DockerImage(archive.Config, archive.RootFs(), archive.Layers.Count);
        }
        var history = docker.Run(["history", "--no-trunc", "--format", "{{json .CreatedBy}}", tag]);
        if (history.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker history {tag} failed\n{history.Describe()}");
        }
        var entries = history.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Reverse()
            .Select(line => (JsonNode)new JsonObject
            {
                ["created_by"] = JsonNode.Parse(line)!.GetValue<string>(),
                ["empty_layer"] = true,
            })
            .ToArray();
        var config = new JsonObject
        {
            ["author"] = Unset(info["Author"]) ? null : info["Author"]!.DeepClone(),
            ["os"] = info["Os"]?.DeepClone(),
            ["architecture"] = info["Architecture"]?.DeepClone(),
            ["config"] = WithoutEmptyStrings(info["Config"]),
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
            ["history"] = new JsonArray(entries),
        };
        return new DockerImage(config, new FsTree(), 0);
    }

    /// <summary>`docker image inspect` prints every field, so "" there means the image does not set it.</summary>
    private static bool Unset(JsonNode? node) => node is null || (node is JsonValue v && v.TryGetValue<string>(out var text) && text.Length == 0);

    private static JsonNode? WithoutEmptyStrings(JsonNode? config)
    {
        if (config?.DeepClone() is not JsonObject copy)
        {
            return null;
        }
        foreach (var name in copy.Where(p => Unset(p.Value)).Select(p => p.Key).ToList())
        {
            copy.Remove(name);
        }
        return copy;
    }
}
