namespace Builder.Snapshotter.Paths;

/// <summary>
/// Lexical cleaning of a path that must stay inside a root: '/' separators, no empty or '.' parts,
/// '..' resolved against the parts before it. A leading '/' means the root itself, as in a tar or a
/// Dockerfile. A '..' that would climb above the root makes the path escape.
/// </summary>
public static class ContainedPath
{
    /// <summary>The cleaned relative path ("" for the root), or null when it escapes the root.</summary>
    public static string? Clean(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Like <see cref="Clean"/> but a '..' above the root stays at the root (how a container sees '/..').</summary>
    public static string CleanClamped(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    /// <summary>Splits a cleaned path into its parent ("" at top level) and its last part.</summary>
    public static (string Parent, string Name) Split(string cleaned)
    {
        var slash = cleaned.LastIndexOf('/');
        return slash < 0 ? ("", cleaned) : (cleaned[..slash], cleaned[(slash + 1)..]);
    }

    public static string Join(string parent, string name) => parent.Length == 0 ? name : parent + "/" + name;
}
