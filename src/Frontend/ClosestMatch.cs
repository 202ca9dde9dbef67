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

    /// <summary>Edit distance (insertions, deletions, substitutions, adjacent swaps); see <see cref="Solver.EditDistance"/>.</summary>
    public static int Distance(string a, string b) => Solver.EditDistance.Between(a, b);
}
