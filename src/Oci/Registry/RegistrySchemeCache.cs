using System.Text.Json;
using System.Text.Json.Serialization;

namespace Builder.Oci.Registry;

/// <summary>
/// Remembers, across processes, which hosts that may use plain HTTP turned out not to speak TLS,
/// so a warm build does not pay a TLS probe against a local registry every time. Entries expire
/// after a day; a missing or unreadable file only means probing again.
/// </summary>
public sealed class RegistrySchemeCache
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);
    private readonly string _path;
    private readonly Lock _lock = new();

    public RegistrySchemeCache(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
    }

    /// <summary>"http" or "https" as last probed for <paramref name="host"/>, or null when unknown or expired.</summary>
    public string? Get(string host)
    {
        lock (_lock)
        {
            return Read().TryGetValue(host, out var entry) && DateTimeOffset.UtcNow - entry.Probed < Lifetime ? entry.Scheme : null;
        }
    }

    public void Set(string host, string scheme)
    {
        lock (_lock)
        {
            var entries = Read();
            entries[host] = new SchemeEntry(scheme, DateTimeOffset.UtcNow);
            Write(entries);
        }
    }

    public void Forget(string host)
    {
        lock (_lock)
        {
            var entries = Read();
            if (entries.Remove(host))
            {
                Write(entries);
            }
        }
    }

    private Dictionary<string, SchemeEntry> Read()
    {
        try
        {
            using var stream = File.OpenRead(_path);
            return JsonSerializer.Deserialize(stream, SchemeCacheJson.Default.DictionaryStringSchemeEntry) ?? [];
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private void Write(Dictionary<string, SchemeEntry> entries)
    {
        try
        {
            var temp = _path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(entries, SchemeCacheJson.Default.DictionaryStringSchemeEntry));
            File.Move(temp, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only an optimisation: the next process probes again.
        }
    }
}

/// <summary>One remembered probe.</summary>
public sealed record SchemeEntry(string Scheme, DateTimeOffset Probed);

[JsonSerializable(typeof(Dictionary<string, SchemeEntry>))]
internal sealed partial class SchemeCacheJson : JsonSerializerContext;
