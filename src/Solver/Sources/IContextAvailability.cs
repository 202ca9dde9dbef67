namespace Builder.Solver.Sources;

/// <summary>
/// When the files of a local source directory may be read. A remote build starts as soon as its
/// context's metadata is in, while file contents are still arriving; a step that reads a local
/// directory (COPY/ADD from it, RUN --mount=type=bind of it) awaits this before computing its cache
/// key, since the key hashes the content. Steps that read no local directory never wait. Without
/// an implementation (local builds) everything is available at once.
/// </summary>
public interface IContextAvailability
{
    /// <summary>
    /// Completes once everything a step reads under <paramref name="paths"/> (relative to
    /// <paramref name="directory"/>, '/'-separated, wildcards allowed, "." for all of it) can be read;
    /// a directory this does not manage completes at once.
    /// </summary>
    ValueTask WaitAsync(string directory, IReadOnlyList<string> paths, CancellationToken cancellationToken);
}
