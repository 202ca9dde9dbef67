namespace Builder.Snapshotter.FileOps;

/// <summary>One COPY or ADD: sources under a source root into a destination of the mounted target tree.</summary>
public sealed record CopyRequest
{
    /// <summary>Host path of the build context, or of another stage's mounted snapshot.</summary>
    public required string SourceRoot { get; init; }

    /// <summary>Source paths relative to <see cref="SourceRoot"/>; wildcards allowed.</summary>
    public required IReadOnlyList<string> Sources { get; init; }

    /// <summary>Destination in the target; relative paths are under <see cref="WorkingDirectory"/>. A trailing '/' means a directory.</summary>
    public required string Destination { get; init; }

    public string WorkingDirectory { get; init; } = "/";

    /// <summary>True for the build context: files get owner 0:0 unless --chown. Other stages keep their owners.</summary>
    public bool SourceIsContext { get; init; } = true;

    /// <summary>--chown: "user[:group]" or numeric ids, resolved in the destination's /etc/passwd and /etc/group.</summary>
    public string? Chown { get; init; }

    /// <summary>--chmod: octal or symbolic.</summary>
    public string? Chmod { get; init; }

    /// <summary>--exclude patterns (.dockerignore syntax), matched against paths relative to each source.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>
    /// The build context's .dockerignore patterns, matched against paths relative to <see cref="SourceRoot"/>
    /// (not to each source): excluded context files are never copied, as if they were not there.
    /// </summary>
    public IReadOnlyList<string> ContextExcludes { get; init; } = [];

    /// <summary>--parents: keep each source's path (below a "/./" pivot, if any) under the destination.</summary>
    public bool Parents { get; init; }

    /// <summary>ADD: a local tar archive (plain, gzip, bzip2, xz, zstd) is extracted instead of copied.</summary>
    public bool ExtractArchives { get; init; }
}
