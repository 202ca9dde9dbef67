using System.Text.Json.Nodes;

namespace Builder.Corpus.Tests.Checking;

/// <summary>
/// Compares image config fields. Missing, null, [] and {} are all "empty" and equal to each
/// other, as docker and BuildKit write them interchangeably.
/// </summary>
public static class ConfigComparer
{
    /// <summary>The config fields a Dockerfile controls, compared between builders.</summary>
    public static readonly string[] DockerfileFields =
    [
        "Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
        "StopSignal", "Healthcheck", "OnBuild", "Shell", "ArgsEscaped",
    ];

    /// <summary>
    /// Checks the fields of <paramref name="expected"/> against <paramref name="actual"/>. An
    /// <c>Env</c> given as an object is a subset check: NAME to value, or null for "not set".
    /// </summary>
    public static List<Difference> CheckExpected(JsonObject expected, JsonObject? actual, string prefix)
    {
        var differences = new List<Difference>();
        foreach (var (field, want) in expected)
        {
            var have = actual?[field];
            if (field == "Env" && want is JsonObject envSubset)
            {
                var env = EnvMap(have);
                foreach (var (name, value) in envSubset)
                {
                    var wanted = value?.GetValue<string>();
                    var got = env.GetValueOrDefault(name);
                    if (wanted != got)
                    {
                        differences.Add(new Difference($"{prefix}.Env.{name}",
                            $"expected {(wanted is null ? "unset" : $"'{wanted}'")}, actual {(got is null ? "unset" : $"'{got}'")}"));
                    }
                }
                continue;
            }
            if (!JsonEqual(want, have))
            {
                differences.Add(new Difference($"{prefix}.{field}", $"expected {Show(want)}, actual {Show(have)}"));
            }
        }
        return differences;
    }

    /// <summary>Compares the Dockerfile-controlled fields of two configs.</summary>
    public static List<Difference> CompareConfigs(JsonObject? a, JsonObject? b, string aName, string bName)
    {
        var differences = new List<Difference>();
        foreach (var field in DockerfileFields)
        {
            if (!JsonEqual(a?[field], b?[field]))
            {
                differences.Add(new Difference($"config.{field}", $"{aName} {Show(a?[field])} vs {bName} {Show(b?[field])}"));
            }
        }
        return differences;
    }

    public static Dictionary<string, string> EnvMap(JsonNode? env)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in env as JsonArray ?? [])
        {
            var text = item!.GetValue<string>();
            var eq = text.IndexOf('=');
            map[eq < 0 ? text : text[..eq]] = eq < 0 ? "" : text[(eq + 1)..];
        }
        return map;
    }

    public static bool IsEmpty(JsonNode? node) => node switch
    {
        null => true,
        JsonArray array => array.Count == 0,
        JsonObject obj => obj.Count == 0,
        JsonValue value => value.GetValueKind() == System.Text.Json.JsonValueKind.Null,
        _ => false,
    };

    public static bool JsonEqual(JsonNode? a, JsonNode? b)
    {
        if (IsEmpty(a) || IsEmpty(b))
        {
            return IsEmpty(a) && IsEmpty(b);
        }
        return JsonNode.DeepEquals(Normalize(a), Normalize(b));
    }

    public static string Show(JsonNode? node) => IsEmpty(node) ? "(empty)" : node!.ToJsonString();

    // Object key order never matters; sort keys so DeepEquals compares values only.
    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, Normalize(kv.Value)))),
        JsonArray array => new JsonArray(array.Select(Normalize).ToArray()),
        _ => node?.DeepClone(),
    };
}
