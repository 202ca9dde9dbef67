using System.Formats.Tar;
using Builder.Oci;
using Builder.Snapshotter.Content;
using Builder.Snapshotter.Gc;

namespace Builder.Exporter.Loading;

/// <summary>
/// One streaming pass over an image archive: top-level metadata files are kept in memory, every other
/// regular file goes into the content store (blobs/sha256/&lt;hex&gt; checked against its name), and links
/// are remembered so a path the metadata names can be followed to the blob it points to.
/// </summary>
internal sealed class ArchiveEntries
{
    private static readonly HashSet<string> MetadataFiles = new(StringComparer.Ordinal) { "manifest.json", "index.json", "oci-layout", "repositories" };

    private readonly Dictionary<string, BlobInfo> _blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _links = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _metadata = new(StringComparer.Ordinal);

    public static async Task<ArchiveEntries> ReadAsync(Stream archive, ContentStore content, Lease? lease, CancellationToken cancellationToken)
    {
        var entries = new ArchiveEntries();
        await using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var name = Normalize(entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.SymbolicLink:
                    var dir = name.Contains('/', StringComparison.Ordinal) ? name[..name.LastIndexOf('/')] : "";
                    entries._links[name] = Normalize(Path.GetFullPath(Path.Combine("/" + dir, entry.LinkName)));
                    break;
                case TarEntryType.HardLink:
                    entries._links[name] = Normalize(entry.LinkName);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile when entry.DataStream is { } data:
                    if (MetadataFiles.Contains(name))
                    {
                        if (entry.Length > Oci.Manifests.ManifestDocument.MaxSize)
                        {
                            throw new InvalidDataException($"{name} in the archive is {entry.Length} bytes, more than the {Oci.Manifests.ManifestDocument.MaxSize} byte limit");
                        }
                        using var buffer = new MemoryStream();
                        await data.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
                        entries._metadata[name] = buffer.ToArray();
                    }
                    else if (!IsLegacyLayerMetadata(name))
                    {
                        var expected = BlobDigestOf(name);
                        entries._blobs[name] = await content.IngestAsync(data, expected, entry.Length, cancellationToken, lease).ConfigureAwait(false);
                    }
                    break;
            }
        }
        return entries;
    }

    public byte[]? Metadata(string name) => _metadata.GetValueOrDefault(name);

    /// <summary>The blob stored for archive path <paramref name="path"/>, following links.</summary>
    public BlobInfo Blob(string path)
    {
        var name = Normalize(path);
        for (var hops = 0; hops < 16 && _links.TryGetValue(name, out var target); hops++)
        {
            name = target;
        }
        return _blobs.TryGetValue(name, out var blob)
            ? blob
            : throw new InvalidDataException($"the archive's metadata names '{path}', which is not a file in the archive");
    }

    private static string Normalize(string name)
    {
        var n = name.TrimStart('/');
        while (n.StartsWith("./", StringComparison.Ordinal))
        {
            n = n[2..];
        }
        return n.TrimEnd('/');
    }

    /// <summary>The digest a layout path promises (blobs/sha256/&lt;hex&gt;), so a corrupt blob is refused.</summary>
    private static Digest? BlobDigestOf(string name) =>
        name.StartsWith("blobs/sha256/", StringComparison.Ordinal) && Digest.TryParse("sha256:" + name["blobs/sha256/".Length..], out var d) ? d : null;

    /// <summary>The per-layer json and VERSION files of the pre-1.10 layout: nothing reads them, so they are not stored.</summary>
    private static bool IsLegacyLayerMetadata(string name) => name.EndsWith("/json", StringComparison.Ordinal) || name.EndsWith("/VERSION", StringComparison.Ordinal);
}
