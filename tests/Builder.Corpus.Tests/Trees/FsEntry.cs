namespace Builder.Corpus.Tests.Trees;

/// <summary>The kind of a filesystem entry, as a one-word name used in expectations and diffs.</summary>
public enum EntryType
{
    File,
    Dir,
    Symlink,
    Fifo,
    Char,
    Block,
    Socket,
}

/// <summary>
/// One path of a root filesystem with everything the corpus compares: never the mtime.
/// <paramref name="Mode"/> holds the permission bits with setuid, setgid and sticky (07777).
/// <paramref name="Sha256"/> is the content hash of regular files; <paramref name="LinkTarget"/>
/// the target of symlinks; <paramref name="Device"/> "major,minor" for device nodes.
/// </summary>
public sealed record FsEntry(
    string Path,
    EntryType Type,
    int Mode,
    long Uid,
    long Gid,
    long Size,
    string? Sha256,
    string? LinkTarget,
    string? Device)
{
    /// <summary>Type names as written in expectation files.</summary>
    public static string TypeName(EntryType type) => type.ToString().ToLowerInvariant();

    /// <summary>A one-line description for diffs: type, mode, owner, size/hash or target.</summary>
    public string Describe()
    {
        var what = Type switch
        {
            EntryType.File => $"size={Size} sha256={Sha256?[..12]}",
            EntryType.Symlink => $"-> {LinkTarget}",
            EntryType.Char or EntryType.Block => $"dev={Device}",
            _ => "",
        };
        return $"{TypeName(Type)} {Convert.ToString(Mode, 8).PadLeft(4, '0')} {Uid}:{Gid} {what}".TrimEnd();
    }
}

/// <summary>
/// A root filesystem as a map from absolute path ("/a/b") to entry, plus hardlink groups
/// (paths sharing one inode). The root itself ("/") is not an entry.
/// </summary>
public sealed class FsTree
{
    private readonly SortedDictionary<string, FsEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _linkGroup = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, FsEntry> Entries => _entries;

    public FsEntry? Get(string path) => _entries.GetValueOrDefault(path);

    public void Set(FsEntry entry) => _entries[entry.Path] = entry;

    /// <summary>Removes a path and, for a directory, everything below it.</summary>
    public void Remove(string path)
    {
        _entries.Remove(path);
        _linkGroup.Remove(path);
        var prefix = path + "/";
        foreach (var key in _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
        {
            _entries.Remove(key);
            _linkGroup.Remove(key);
        }
    }

    /// <summary>Paths strictly below <paramref name="dir"/>.</summary>
    public IEnumerable<string> Below(string dir)
    {
        var prefix = dir == "/" ? "/" : dir + "/";
        return _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    /// <summary>Records that <paramref name="path"/> is the same inode as <paramref name="other"/>.</summary>
    public void Link(string path, string other)
    {
        var group = _linkGroup.GetValueOrDefault(other) ?? other;
        _linkGroup[other] = group;
        _linkGroup[path] = group;
    }

    /// <summary>Records an inode key for a path; paths with the same key are hardlinked.</summary>
    public void SetInode(string path, string inodeKey) => _linkGroup[path] = inodeKey;

    /// <summary>
    /// The hardlink partners of <paramref name="path"/> in this tree (sorted, without the path
    /// itself); empty when it has none.
    /// </summary>
    public IReadOnlyList<string> Partners(string path)
    {
        if (!_linkGroup.TryGetValue(path, out var group))
        {
            return [];
        }
        return _linkGroup
            .Where(kv => kv.Value == group && kv.Key != path && _entries.ContainsKey(kv.Key))
            .Select(kv => kv.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
