using Builder.Server.Protocol;

namespace Builder.Server.Context;

/// <summary>
/// Checks a client's context manifest entry by entry as it arrives: a clean relative path (no '..', no
/// '.', no empty part, not absolute, no NUL), no duplicate, a parent that is a directory listed before it
/// (so nothing lies under a symlink or a file), only files, directories and symlinks, sizes within the limit.
/// </summary>
internal sealed class ManifestValidator(long maxContextSize, int maxEntries)
{
    private readonly Dictionary<string, EntryType> _seen = new(StringComparer.Ordinal);
    private long _totalSize;

    public long TotalSize => _totalSize;

    /// <summary>Throws <see cref="InvalidContextException"/> naming the entry and what is wrong with it.</summary>
    public void Check(ContextEntry entry)
    {
        var path = entry.Path;
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\0', StringComparison.Ordinal) || path.Length > 4096)
        {
            throw new InvalidContextException($"context entry \"{path}\": not a relative path");
        }
        var parts = path.Split('/');
        if (parts.Any(p => p.Length == 0 || p == "." || p == ".." || p.Length > 255))
        {
            throw new InvalidContextException($"context entry \"{path}\": path parts may not be empty, '.' or '..'");
        }
        if (entry.Type is not (EntryType.File or EntryType.Directory or EntryType.Symlink))
        {
            throw new InvalidContextException($"context entry \"{path}\": only regular files, directories and symlinks may be sent (type {entry.Type})");
        }
        if (entry.Type == EntryType.Symlink && (entry.LinkTarget.Length == 0 || entry.LinkTarget.Contains('\0', StringComparison.Ordinal)))
        {
            throw new InvalidContextException($"context entry \"{path}\": a symlink needs a target");
        }
        if (entry.Size < 0)
        {
            throw new InvalidContextException($"context entry \"{path}\": size {entry.Size} is out of range");
        }
        if (_seen.ContainsKey(path))
        {
            throw new InvalidContextException($"context entry \"{path}\" is listed twice");
        }
        var slash = path.LastIndexOf('/');
        if (slash > 0)
        {
            var parent = path[..slash];
            if (!_seen.TryGetValue(parent, out var parentType))
            {
                throw new InvalidContextException($"context entry \"{path}\": its directory \"{parent}\" was not listed before it");
            }
            if (parentType != EntryType.Directory)
            {
                throw new InvalidContextException($"context entry \"{path}\" lies under \"{parent}\", which is a {(parentType == EntryType.Symlink ? "symlink" : "file")}");
            }
        }
        if (_seen.Count >= maxEntries)
        {
            throw new InvalidContextException($"the context has more than {maxEntries} entries, the server's limit");
        }
        if (entry.Type == EntryType.File)
        {
            _totalSize += entry.Size;
            if (_totalSize > maxContextSize)
            {
                throw new InvalidContextException($"the context is larger than the server's limit of {maxContextSize} bytes (--max-context-size); add a .dockerignore or raise the limit");
            }
        }
        _seen.Add(path, entry.Type);
    }
}

/// <summary>A client sent a context that breaks the rules; the build is refused with InvalidArgument.</summary>
public sealed class InvalidContextException(string message) : Exception(message);
