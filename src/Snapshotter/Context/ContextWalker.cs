using System.IO.Enumeration;

namespace Builder.Snapshotter.Context;

/// <summary>
/// Walks a build context directory, applying exclude patterns, and yields its entries one at a time:
/// depth first, each directory's children sorted by name (code point order, as Go sorts UTF-8 names),
/// a directory before its contents. Symbolic links are reported, never followed. Only one directory's
/// listing is held in memory per level of depth, never the whole tree.
/// </summary>
/// <remarks>
/// An excluded directory is skipped with everything below it, unless an exception pattern might
/// re-include something inside; then it is walked, and reported just before the first included entry
/// below it (the consumer needs the directory to hold that entry), or not at all if nothing is.
/// </remarks>
public sealed class ContextWalker
{
    private static readonly EnumerationOptions ListingOptions = new()
    {
        RecurseSubdirectories = false,
        AttributesToSkip = 0, // the default skips "hidden" files, i.e. every dotfile on Unix
        IgnoreInaccessible = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>Creates a walker over <paramref name="root"/>, excluding what <paramref name="excludes"/> excludes.</summary>
    public ContextWalker(string root, PatternMatcher? excludes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        Excludes = excludes;
    }

    /// <summary>The context directory, as an absolute path.</summary>
    public string Root { get; }

    /// <summary>The exclude patterns; null excludes nothing.</summary>
    public PatternMatcher? Excludes { get; }

    /// <summary>Called with each directory's relative path ("" for the root) as its listing is read; lets tests observe pruning and laziness.</summary>
    internal Action<string>? DirectoryListed { get; init; }

    /// <summary>Enumerates the included entries of the context (not the root itself).</summary>
    /// <exception cref="DirectoryNotFoundException">The root is not a directory (thrown at once, not on enumeration).</exception>
    /// <exception cref="IOException">A directory cannot be listed or an entry cannot be lstat'ed.</exception>
    public IEnumerable<ContextEntry> Walk(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(Root))
        {
            throw new DirectoryNotFoundException($"build context directory not found: {Root}");
        }
        return WalkTree(cancellationToken);
    }

    private IEnumerable<ContextEntry> WalkTree(CancellationToken cancellationToken)
    {
        // The open directories from the root down; each remembers where its listing stands.
        var open = new List<OpenDirectory> { new(null, "", Root, ListSorted("", Root)) { Reported = true } };
        var unreported = 0; // open directories that are excluded and not reported yet
        while (open.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = open[^1];
            if (!current.Children.MoveNext())
            {
                current.Children.Dispose();
                open.RemoveAt(open.Count - 1);
                if (!current.Reported)
                {
                    unreported--;
                }
                continue;
            }

            var name = current.Children.Current;
            var relativePath = current.RelativePath.Length == 0 ? name : current.RelativePath + "/" + name;
            var fullPath = Path.Join(current.FullPath, name);
            if (FileStatus.TryLstat(fullPath) is not { } status)
            {
                continue; // removed since the listing was read
            }
            var entry = new ContextEntry(relativePath, fullPath, status);
            var excluded = Excludes?.Excludes(relativePath) ?? false;

            if (status.Type == FileType.Directory)
            {
                if (excluded && !Excludes!.MayReincludeBelow(relativePath))
                {
                    continue; // nothing below can be included: prune the whole subtree
                }
                if (excluded)
                {
                    unreported++;
                }
                else
                {
                    foreach (var pending in ReportPendingParents(open, unreported))
                    {
                        yield return pending;
                    }
                    unreported = 0;
                    yield return entry;
                }
                open.Add(new OpenDirectory(entry, relativePath, fullPath, ListSorted(relativePath, fullPath)) { Reported = !excluded });
                continue;
            }

            if (excluded)
            {
                continue;
            }
            foreach (var pending in ReportPendingParents(open, unreported))
            {
                yield return pending;
            }
            unreported = 0;
            yield return entry;
        }
    }

    /// <summary>Excluded directories that were walked only for their exceptions, now holding an included entry.</summary>
    private static IEnumerable<ContextEntry> ReportPendingParents(List<OpenDirectory> open, int unreported)
    {
        if (unreported == 0)
        {
            yield break;
        }
        foreach (var directory in open)
        {
            if (!directory.Reported)
            {
                directory.Reported = true;
                yield return directory.Entry!;
            }
        }
    }

    private IEnumerator<string> ListSorted(string relativePath, string directory)
    {
        DirectoryListed?.Invoke(relativePath);
        List<string> names;
        try
        {
            names = new FileSystemEnumerable<string>(
                directory,
                (ref FileSystemEntry entry) => entry.FileName.ToString(),
                ListingOptions).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return Enumerable.Empty<string>().GetEnumerator(); // removed since it was lstat'ed
        }
        catch (UnauthorizedAccessException error)
        {
            throw new IOException($"cannot list context directory {directory}: {error.Message}", error);
        }
        names.Sort(CompareCodePoints);
        return names.GetEnumerator();
    }

    /// <summary>Code point order, which is UTF-8 byte order; plain ordinal order differs for surrogate pairs.</summary>
    private static int CompareCodePoints(string left, string right)
    {
        var l = left.EnumerateRunes();
        var r = right.EnumerateRunes();
        while (true)
        {
            var hasLeft = l.MoveNext();
            var hasRight = r.MoveNext();
            if (!hasLeft || !hasRight)
            {
                return hasLeft.CompareTo(hasRight);
            }
            var order = l.Current.Value.CompareTo(r.Current.Value);
            if (order != 0)
            {
                return order;
            }
        }
    }

    /// <summary>A directory being listed; <see cref="Entry"/> is null for the root.</summary>
    private sealed class OpenDirectory(ContextEntry? entry, string relativePath, string fullPath, IEnumerator<string> children)
    {
        public ContextEntry? Entry { get; } = entry;

        public string RelativePath { get; } = relativePath;

        public string FullPath { get; } = fullPath;

        public IEnumerator<string> Children { get; } = children;

        /// <summary>False while an excluded directory is walked only for its exceptions and nothing inside was included yet.</summary>
        public bool Reported { get; set; }
    }
}
