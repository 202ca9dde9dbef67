using Builder.TestSupport;

namespace Builder.Corpus.Tests.Docker;

/// <summary>
/// The deliberate differences from BuildKit, read from the table in docs/CORPUS.md between
/// <c>&lt;!-- deviations:start --&gt;</c> and <c>&lt;!-- deviations:end --&gt;</c>. A row is
/// <c>| case | key | reason |</c>: case "*" applies to every case; key "*" means the case is not
/// built with Docker at all; a key ending in "*" is a prefix; a key ending in "?" is exact but
/// intermittent (BuildKit shows the difference in some runs only, so the row is never stale);
/// otherwise it is exact. A row without a reason is refused.
/// </summary>
public sealed class KnownDeviations
{
    private readonly List<Row> _rows;

    private KnownDeviations(List<Row> rows) => _rows = rows;

    public sealed record Row(string Case, string Key, string Reason, int Line)
    {
        public bool Matches(string caseName, string key) =>
            (Case == "*" || Case == caseName)
            && (Key == "*" || Key == key || (Intermittent && Key[..^1] == key)
                || (Key.EndsWith('*') && key.StartsWith(Key[..^1], StringComparison.Ordinal)));

        /// <summary>A difference BuildKit shows in some runs and not others: its absence is not staleness.</summary>
        public bool Intermittent => Key.EndsWith('?');
    }

    public IReadOnlyList<Row> Rows => _rows;

    public static string DocumentPath => Path.Combine(SharedData.RepoRoot, "docs", "CORPUS.md");

    public static KnownDeviations Load()
    {
        var lines = File.ReadAllLines(DocumentPath);
        var start = Array.FindIndex(lines, l => l.Trim() == "<!-- deviations:start -->");
        var end = Array.FindIndex(lines, l => l.Trim() == "<!-- deviations:end -->");
        if (start < 0 || end < start)
        {
            throw new InvalidDataException($"{DocumentPath}: no <!-- deviations:start --> ... <!-- deviations:end --> table");
        }
        var rows = new List<Row>();
        for (var i = start + 1; i < end; i++)
        {
            var line = lines[i].Trim();
            if (!line.StartsWith('|') || line.StartsWith("|---", StringComparison.Ordinal) || line.StartsWith("| case", StringComparison.Ordinal))
            {
                continue;
            }
            var cells = line.Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray();
            if (cells.Length < 3 || cells[2].Length < 10)
            {
                throw new InvalidDataException($"{DocumentPath}:{i + 1}: a deviation row needs a case, a key and a reason: {line}");
            }
            rows.Add(new Row(cells[0], cells[1], cells[2], i + 1));
        }
        return new KnownDeviations(rows);
    }

    /// <summary>The case is listed as not buildable by Docker (key "*"); returns the reason.</summary>
    public string? NotComparable(string caseName) =>
        _rows.FirstOrDefault(r => r.Case == caseName && r.Key == "*")?.Reason;

    public Row? Find(string caseName, string key) =>
        _rows.FirstOrDefault(r => r.Key != "*" && r.Matches(caseName, key));

    /// <summary>Rows specific to one case (not "*" rows, not intermittent ones), to detect stale entries.</summary>
    public IEnumerable<Row> For(string caseName) => _rows.Where(r => r.Case == caseName && r.Key != "*" && !r.Intermittent);
}
