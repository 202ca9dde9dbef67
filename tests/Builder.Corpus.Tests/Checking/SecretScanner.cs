using System.Text;
using Builder.Corpus.Tests.Trees;

namespace Builder.Corpus.Tests.Checking;

/// <summary>
/// Looks for secret values in every regular file under some folders (the exported image, the
/// local output, the data root with its metadata.db and content store) and in text such as the
/// progress log. Compressed blobs (gzip, zstd) are scanned decompressed, as well as raw.
/// </summary>
public static class SecretScanner
{
    public static List<Difference> Scan(IReadOnlyCollection<string> secrets, IEnumerable<string> roots, IEnumerable<(string Name, string Text)> texts)
    {
        var hits = new List<Difference>();
        if (secrets.Count == 0)
        {
            return hits;
        }
        var patterns = secrets.Select(Encoding.UTF8.GetBytes).ToList();
        foreach (var (name, text) in texts)
        {
            foreach (var secret in secrets.Where(s => text.Contains(s, StringComparison.Ordinal)))
            {
                hits.Add(new Difference("secret", $"the value of a secret ({secret.Length} chars) appears in {name}"));
            }
        }
        foreach (var root in roots.Where(Directory.Exists))
        {
            foreach (var file in DirectoryTreeReader.RegularFiles(root))
            {
                if (Contains(() => File.OpenRead(file), patterns) || Contains(() => LayerApplier.OpenUncompressed(file), patterns))
                {
                    hits.Add(new Difference("secret", $"the value of a secret appears in {file}"));
                }
            }
        }
        return hits;
    }

    private static bool Contains(Func<Stream> open, List<byte[]> patterns)
    {
        var longest = patterns.Max(p => p.Length);
        var buffer = new byte[1 << 20];
        var carry = 0;
        try
        {
            using var stream = open();
            int read;
            while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
            {
                var span = buffer.AsSpan(0, carry + read);
                foreach (var pattern in patterns)
                {
                    if (span.IndexOf(pattern) >= 0)
                    {
                        return true;
                    }
                }
                carry = Math.Min(longest - 1, span.Length);
                span[^carry..].CopyTo(buffer);
            }
        }
        catch (InvalidDataException)
        {
            // Not really compressed after all (a sniffed magic at the start of a plain file).
        }
        return false;
    }
}
