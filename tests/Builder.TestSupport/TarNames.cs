using System.Formats.Tar;

namespace Builder.TestSupport;

/// <summary>The entry names of a tar file, as a test compares them: no leading <c>./</c> or <c>/</c>, no trailing slash.</summary>
public static class TarNames
{
    public static async Task<HashSet<string>> ReadAsync(string tar)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var stream = File.OpenRead(tar);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            names.Add(entry.Name.TrimStart('.', '/').TrimEnd('/'));
        }
        names.Remove("");
        return names;
    }
}
