using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Builder.Solver.Definition;

namespace Builder.Solver.Cache;

/// <summary>
/// Cache keys as DESIGN.md defines them: the op's canonical form with each input's digest
/// replaced by that input's cache key, plus content checksums of what the op reads from local
/// sources. Secret, ssh and tmpfs mounts carry no content, so they are left out: adding a secret
/// to a RUN never changes what is cached, and a secret's id is never a cache key's part.
/// </summary>
public static class CacheKey
{
    private const string Version = "builder.cache.v1";

    /// <summary>The key of an op given its inputs' keys and the checksums of local content it reads.</summary>
    public static string Compute(Op op, IReadOnlyList<string> inputKeys, IReadOnlyList<string> contentChecksums)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputKeys);
        ArgumentNullException.ThrowIfNull(contentChecksums);
        var keyed = op is ExecOp exec ? exec with { Mounts = exec.Mounts.Where(m => m.Type is MountType.Bind or MountType.Cache).ToArray() } : op;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("v", Version);
            writer.WriteString("kind", keyed.Kind);
            keyed.WriteCanonical(writer);
            writer.WriteStartArray("inputs");
            foreach (var key in inputKeys)
            {
                writer.WriteStringValue(key);
            }
            writer.WriteEndArray();
            writer.WriteStartArray("content");
            foreach (var checksum in contentChecksums)
            {
                writer.WriteStringValue(checksum);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    /// <summary>The key of a source: what identifies its content (a manifest digest, a local source's name and filters).</summary>
    public static string ForSource(string identity) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Version + "\n" + identity)));
}
