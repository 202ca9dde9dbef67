using Builder.Corpus.Tests.Trees;

namespace Builder.Corpus.Tests.Checking;

/// <summary>One difference between two results, keyed by path (or "config.Field") for deviation lists.</summary>
public sealed record Difference(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}

/// <summary>Compares two root filesystems on everything but timestamps.</summary>
public static class TreeComparer
{
    public static List<Difference> Compare(FsTree expected, FsTree actual, string expectedName, string actualName)
    {
        var differences = new List<Difference>();
        var paths = expected.Entries.Keys.Union(actual.Entries.Keys).Order(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var a = expected.Get(path);
            var b = actual.Get(path);
            if (a is null)
            {
                differences.Add(new Difference(path, $"only in {actualName}: {b!.Describe()}"));
                continue;
            }
            if (b is null)
            {
                differences.Add(new Difference(path, $"only in {expectedName}: {a.Describe()}"));
                continue;
            }
            var fields = new List<string>();
            if (a.Type != b.Type)
            {
                fields.Add($"type {FsEntry.TypeName(a.Type)} vs {FsEntry.TypeName(b.Type)}");
            }
            if (a.Mode != b.Mode)
            {
                fields.Add($"mode {Octal(a.Mode)} vs {Octal(b.Mode)}");
            }
            if (a.Uid != b.Uid || a.Gid != b.Gid)
            {
                fields.Add($"owner {a.Uid}:{a.Gid} vs {b.Uid}:{b.Gid}");
            }
            if (a.Type == EntryType.File && b.Type == EntryType.File && (a.Sha256 != b.Sha256 || a.Size != b.Size))
            {
                fields.Add($"content size={a.Size} sha256={a.Sha256} vs size={b.Size} sha256={b.Sha256}");
            }
            if (a.LinkTarget != b.LinkTarget)
            {
                fields.Add($"link target '{a.LinkTarget}' vs '{b.LinkTarget}'");
            }
            if (a.Device != b.Device)
            {
                fields.Add($"device {a.Device} vs {b.Device}");
            }
            var pa = expected.Partners(path);
            var pb = actual.Partners(path);
            if (!pa.SequenceEqual(pb))
            {
                fields.Add($"hardlinked with [{string.Join(", ", pa)}] vs [{string.Join(", ", pb)}]");
            }
            if (fields.Count > 0)
            {
                differences.Add(new Difference(path, $"{expectedName} vs {actualName}: {string.Join("; ", fields)}"));
            }
        }
        return differences;
    }

    public static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');
}
