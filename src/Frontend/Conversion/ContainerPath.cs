namespace Builder.Frontend.Conversion;

/// <summary>Path arithmetic for paths inside the image (always '/'-separated, rooted at '/').</summary>
internal static class ContainerPath
{
    /// <summary>Resolves <paramref name="path"/> against <paramref name="baseDir"/> and cleans the result.</summary>
    public static string Join(string baseDir, string path) =>
        Clean(path.StartsWith('/') ? path : baseDir.TrimEnd('/') + "/" + path);

    /// <summary>Removes '.', '..' (never above '/'), duplicate and trailing slashes.</summary>
    public static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            switch (part)
            {
                case "" or ".":
                    break;
                case "..":
                    if (parts.Count > 0)
                    {
                        parts.RemoveAt(parts.Count - 1);
                    }
                    break;
                default:
                    parts.Add(part);
                    break;
            }
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>
    /// A COPY/ADD destination resolved against WORKDIR. A trailing slash (or a final '.') marks a
    /// directory, and is kept so the copy knows to place sources inside it.
    /// </summary>
    public static string Destination(string workingDir, string dest)
    {
        var isDir = dest.EndsWith('/') || dest == "." || dest.EndsWith("/.", StringComparison.Ordinal) || dest == "..";
        var cleaned = Join(workingDir, dest);
        return isDir && cleaned != "/" ? cleaned + "/" : cleaned;
    }
}
