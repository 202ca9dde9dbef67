namespace Builder.Snapshotter.Context;

/// <summary>Lexical operations on '/'-separated paths, with Go's path.Clean semantics.</summary>
internal static class SlashPath
{
    /// <summary>
    /// The shortest equivalent path: repeated '/' collapsed, "." segments removed, ".." removing the
    /// segment before it (or dropped at the root); "." for an empty result. Purely lexical.
    /// </summary>
    public static string Clean(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }
        var rooted = path[0] == '/';
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    break;
                case "..":
                    if (segments.Count > 0 && segments[^1] != "..")
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }
                    else if (!rooted)
                    {
                        segments.Add(segment);
                    }
                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }
        var joined = string.Join('/', segments);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }
}
