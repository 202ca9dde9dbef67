namespace Builder.Snapshotter.Context;

/// <summary>One file, directory, symbolic link or special file of a build context.</summary>
/// <param name="RelativePath">Path below the context root, '/'-separated, no leading "./" or '/'.</param>
/// <param name="FullPath">Absolute path on the host.</param>
/// <param name="Status">lstat of the entry (a symbolic link is described, not followed).</param>
public sealed record ContextEntry(string RelativePath, string FullPath, FileStatus Status)
{
    /// <summary>The entry's type.</summary>
    public FileType Type => Status.Type;
}
