using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using ZstdSharp;

namespace Builder.Corpus.Tests.Trees;

/// <summary>
/// Applies image layers (tar, gzip or zstd, sniffed from the first bytes) in order to an
/// in-memory <see cref="FsTree"/>, following the OCI image-spec's whiteout rules: <c>.wh.NAME</c>
/// deletes NAME from lower layers, <c>.wh..wh..opq</c> hides every lower-layer child of its
/// directory, and a non-directory replacing a directory drops its children.
/// </summary>
public static class LayerApplier
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    public static FsTree Apply(IEnumerable<string> layerFiles)
    {
        var tree = new FsTree();
        var index = 0;
        foreach (var layer in layerFiles)
        {
            ApplyOne(tree, layer, index++);
        }
        return tree;
    }

    private static void ApplyOne(FsTree tree, string layerFile, int layerIndex)
    {
        using var raw = File.OpenRead(layerFile);
        using var stream = Decompress(raw);
        using var reader = new TarReader(stream);
        var addedHere = new HashSet<string>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            var path = Normalize(entry.Name);
            if (path == "/")
            {
                continue;
            }
            var dir = ParentOf(path);
            var name = path[(path.LastIndexOf('/') + 1)..];
            if (name == OpaqueMarker)
            {
                foreach (var child in tree.Below(dir).Where(c => !addedHere.Contains(c)))
                {
                    tree.Remove(child);
                }
                continue;
            }
            if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var hidden = (dir == "/" ? "" : dir) + "/" + name[WhiteoutPrefix.Length..];
                if (tree.Get(hidden) is null)
                {
                    throw new InvalidDataException($"layer {layerIndex} ({layerFile}): whiteout {path} hides {hidden}, which no lower layer has");
                }
                tree.Remove(hidden);
                continue;
            }
            EnsureParents(tree, dir, addedHere);
            var existing = tree.Get(path);
            var type = TypeOf(entry);
            if (existing is not null && !(existing.Type == EntryType.Dir && type == EntryType.Dir))
            {
                tree.Remove(path);
            }
            var mode = (int)entry.Mode & 0xFFF;
            if (entry.EntryType == TarEntryType.HardLink)
            {
                var target = Normalize(entry.LinkName);
                var partner = tree.Get(target)
                    ?? throw new InvalidDataException($"layer {layerIndex} ({layerFile}): hardlink {path} -> {target}, which does not exist");
                tree.Set(partner with { Path = path });
                tree.Link(path, target);
                addedHere.Add(path);
                continue;
            }
            string? sha = null;
            long size = 0;
            if (type == EntryType.File)
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                if (entry.DataStream is { } data)
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = data.Read(buffer)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        size += read;
                    }
                }
                sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            string? device = null;
            if (entry is PosixTarEntry posix && type is EntryType.Char or EntryType.Block)
            {
                device = $"{posix.DeviceMajor},{posix.DeviceMinor}";
            }
            tree.Set(new FsEntry(path, type, mode, entry.Uid, entry.Gid, size, sha,
                type == EntryType.Symlink ? entry.LinkName : null, device));
            addedHere.Add(path);
        }
    }

    private static void EnsureParents(FsTree tree, string dir, HashSet<string> addedHere)
    {
        if (dir == "/" || tree.Get(dir) is { Type: EntryType.Dir })
        {
            return;
        }
        EnsureParents(tree, ParentOf(dir), addedHere);
        tree.Remove(dir);
        // A layer that omits a parent directory gets one as extraction tools make it.
        tree.Set(new FsEntry(dir, EntryType.Dir, 0b111_101_101, 0, 0, 0, null, null, null));
        addedHere.Add(dir);
    }

    private static EntryType TypeOf(TarEntry entry) => entry.EntryType switch
    {
        TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile => EntryType.File,
        TarEntryType.Directory => EntryType.Dir,
        TarEntryType.SymbolicLink => EntryType.Symlink,
        TarEntryType.Fifo => EntryType.Fifo,
        TarEntryType.CharacterDevice => EntryType.Char,
        TarEntryType.BlockDevice => EntryType.Block,
        TarEntryType.HardLink => EntryType.File,
        _ => throw new InvalidDataException($"{entry.Name}: unsupported tar entry type {entry.EntryType}"),
    };

    /// <summary>"./a/b/" and "a/b" both become "/a/b".</summary>
    public static string Normalize(string name)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
        return "/" + string.Join('/', parts);
    }

    private static string ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    private static Stream Decompress(Stream raw)
    {
        var head = new byte[4];
        var read = raw.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        raw.Position = 0;
        if (read >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            return new GZipStream(raw, CompressionMode.Decompress);
        }
        if (read == 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
        {
            return new DecompressionStream(raw);
        }
        return raw;
    }

    /// <summary>Opens a blob for reading its uncompressed bytes (for scanning for secrets).</summary>
    public static Stream OpenUncompressed(string file) => Decompress(File.OpenRead(file));
}
