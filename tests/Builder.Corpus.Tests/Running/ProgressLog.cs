using System.Text.Json;
using System.Text.RegularExpressions;

namespace Builder.Corpus.Tests.Running;

/// <summary>
/// The vertex events of a <c>--progress rawjson</c> stream: each vertex's name and its last
/// state. Steps are the vertices named like BuildKit's <c>[stage 2/5] INSTRUCTION</c>.
/// </summary>
public sealed partial class ProgressLog
{
    private readonly Dictionary<string, string> _finalState = new(StringComparer.Ordinal);

    private ProgressLog()
    {
    }

    /// <summary>Vertex name to its final state (Running when no final state came).</summary>
    public IReadOnlyDictionary<string, string> States => _finalState;

    /// <summary>Names of the Dockerfile steps (FROM, RUN, COPY...), as reported.</summary>
    public IEnumerable<string> Steps => _finalState.Keys.Where(n => StepName().IsMatch(n));

    public static ProgressLog Parse(string rawJson)
    {
        var log = new ProgressLog();
        foreach (var line in rawJson.Split('\n'))
        {
            var text = line.Trim();
            if (!text.StartsWith('{'))
            {
                continue;
            }
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (!root.TryGetProperty("name", out var name) || !root.TryGetProperty("state", out var state)
                || name.ValueKind != JsonValueKind.String || state.ValueKind != JsonValueKind.String)
            {
                continue;
            }
            // Vertex numbers are unique; names may repeat across stages, so key by "#N name" when present.
            var key = name.GetString()!;
            log._finalState[key] = state.GetString()!;
        }
        return log;
    }

    /// <summary>Problems with "every step was CACHED"; empty when it holds.</summary>
    public IReadOnlyList<string> AllStepsCached()
    {
        var steps = Steps.ToList();
        if (steps.Count == 0)
        {
            return ["no step vertex ([stage n/m] ...) in the rawjson progress"];
        }
        return steps.Where(s => !string.Equals(_finalState[s], "Cached", StringComparison.OrdinalIgnoreCase))
            .Select(s => $"step '{s}': expected Cached, was {_finalState[s]}")
            .ToList();
    }

    /// <summary>
    /// Problems with "exactly the steps matching <paramref name="ran"/> ran (Done), every other
    /// step was CACHED"; empty when it holds.
    /// </summary>
    public IReadOnlyList<string> OnlyRan(IReadOnlyList<string> ran)
    {
        var problems = new List<string>();
        var steps = Steps.ToList();
        foreach (var fragment in ran)
        {
            if (!steps.Any(s => s.Contains(fragment, StringComparison.Ordinal)))
            {
                problems.Add($"no step matching '{fragment}' in: {string.Join(" | ", steps)}");
            }
        }
        foreach (var step in steps)
        {
            var shouldRun = ran.Any(f => step.Contains(f, StringComparison.Ordinal));
            var state = _finalState[step];
            var expected = shouldRun ? "Done" : "Cached";
            // FROM of an image may be reported Done (resolved) on a cache-only rebuild; it runs nothing.
            if (!string.Equals(state, expected, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"step '{step}': expected {expected}, was {state}");
            }
        }
        return problems;
    }

    [GeneratedRegex(@"^\[[^\]]*\d+/\d+\] ")]
    private static partial Regex StepName();
}
