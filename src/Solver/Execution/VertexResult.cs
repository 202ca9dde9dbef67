namespace Builder.Solver.Execution;

/// <summary>
/// What a solved vertex gives its dependents: its cache key and either a committed snapshot
/// (null for an empty filesystem) or, for a local source, the host directory and its
/// .dockerignore patterns (local content is read in place, never copied into the store).
/// </summary>
internal sealed record VertexResult(string CacheKey, string? Snapshot)
{
    public string? HostDirectory { get; init; }

    public IReadOnlyList<string> HostExcludes { get; init; } = [];

    public static VertexResult Local(string cacheKey, string directory, IReadOnlyList<string> excludes) =>
        new(cacheKey, null) { HostDirectory = directory, HostExcludes = excludes };
}
