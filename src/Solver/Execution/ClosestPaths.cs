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
            var score = Math.Min(Distance(wanted, path), Distance(wantedName, Path.GetFileName(path)) + 1);
            if (score <= Math.Max(2, wanted.Length / 3))
            {
                scored.Add((score, path));
            }
        }
        return scored.OrderBy(s => s.Score).ThenBy(s => s.Path, StringComparer.Ordinal).Take(3).Select(s => s.Path).ToArray();
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
