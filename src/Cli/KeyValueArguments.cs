namespace Builder.Cli;

/// <summary>Parses repeated <c>K=V</c> options such as --build-arg and --label.</summary>
internal static class KeyValueArguments
{
    /// <summary>
    /// Parses <paramref name="values"/>; a bare <c>K</c> takes its value from the environment when
    /// <paramref name="fromEnvironment"/> is set (and is skipped if unset there, as docker does).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parse(IEnumerable<string>? values, string option, bool fromEnvironment)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values ?? [])
        {
            var eq = value.IndexOf('=');
            if (eq == 0)
            {
                throw new UsageException($"{option} {value}: the name is empty");
            }
            if (eq > 0)
            {
                result[value[..eq]] = value[(eq + 1)..];
            }
            else if (fromEnvironment)
            {
                if (Environment.GetEnvironmentVariable(value) is { } env)
                {
                    result[value] = env;
                }
            }
            else
            {
                throw new UsageException($"{option} {value}: expected K=V");
            }
        }
        return result;
    }
}
