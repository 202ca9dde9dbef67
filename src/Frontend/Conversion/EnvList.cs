namespace Builder.Frontend.Conversion;

/// <summary>Operations on <c>KEY=value</c> lists as images store them (order kept, keys unique).</summary>
internal static class EnvList
{
    public static IReadOnlyList<string> Set(IReadOnlyList<string>? env, string key, string value)
    {
        var result = new List<string>(env ?? []);
        var prefix = key + "=";
        var index = result.FindIndex(e => e.StartsWith(prefix, StringComparison.Ordinal) || e == key);
        if (index >= 0)
        {
            result[index] = prefix + value;
        }
        else
        {
            result.Add(prefix + value);
        }
        return result;
    }

    public static bool Contains(IReadOnlyList<string>? env, string key)
    {
        var prefix = key + "=";
        return env is not null && env.Any(e => e.StartsWith(prefix, StringComparison.Ordinal));
    }
}
