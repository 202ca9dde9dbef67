namespace Builder.Frontend;

/// <summary>Finds the closest candidate to a misspelled word, for "did you mean" hints.</summary>
public static class ClosestMatch
{
    /// <summary>
    /// Returns the candidate with the smallest edit distance to <paramref name="word"/>
    /// (case-insensitive), when that distance is small relative to the word's length; else null.
    /// </summary>
    public static string? Find(string word, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = int.MaxValue;
        var lower = word.ToLowerInvariant();
        foreach (var candidate in candidates)
        {
            var d = Distance(lower, candidate.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        // Allow about one edit per three characters, and at least one.
        var limit = Math.Max(1, word.Length / 3);
        return bestDistance <= limit && bestDistance > 0 ? best : null;
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions, adjacent swaps).</summary>
    public static int Distance(string a, string b)
    {
        var previous2 = new int[b.Length + 1];
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
                var value = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, previous2[j - 2] + 1);
                }
                current[j] = value;
            }
            (previous2, previous, current) = (previous, current, previous2);
        }
        return previous[b.Length];
    }
}
