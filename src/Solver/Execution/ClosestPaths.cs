using Builder.Snapshotter.Context;

namespace Builder.Solver.Execution;

/// <summary>Paths of a context that look most like a path that is not there (typos, wrong folder).</summary>
internal static class ClosestPaths
{
    private const int MaxScanned = 20_000;

    public static IReadOnlyList<string> Find(string contextDirectory, string missing, IReadOnlyList<string> excludes)
    {
        var wanted = missing.Trim('/');
        var wantedName = Path.GetFileName(wanted);
        var walker = new ContextWalker(contextDirectory, excludes.Count > 0 ? new PatternMatcher(excludes) : null);
        var scored = new List<(int Score, string Path)>();
        var scanned = 0;
        foreach (var entry in walker.Walk())
        {
            if (++scanned > MaxScanned)
            {
                break;
            }
            var path = entry.RelativePath;
            var score = Math.Min(EditDistance.Between(wanted, path), EditDistance.Between(wantedName, Path.GetFileName(path)) + 1);
            if (score <= Math.Max(2, wanted.Length / 3))
            {
                scored.Add((score, path));
            }
        }
        return scored.OrderBy(s => s.Score).ThenBy(s => s.Path, StringComparer.Ordinal).Take(3).Select(s => s.Path).ToArray();
    }
}
