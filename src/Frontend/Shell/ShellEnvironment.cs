namespace Builder.Frontend.Shell;

/// <summary>
/// An immutable, case-sensitive variable table for word expansion (Linux semantics: <c>PATH</c> and
/// <c>path</c> are different variables).
/// </summary>
public sealed class ShellEnvironment : IShellEnvironment
{
    private readonly Dictionary<string, string> _variables;

    /// <summary>Creates an environment from name/value pairs; a later pair replaces an earlier one of the same name.</summary>
    public ShellEnvironment(IEnumerable<KeyValuePair<string, string>> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        _variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in variables)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(variables));
            _variables[name] = value ?? "";
        }
    }

    /// <summary>An environment with no variables.</summary>
    public static ShellEnvironment Empty { get; } = new([]);

    /// <summary>
    /// Creates an environment from <c>NAME=value</c> entries, as in a process environment or an image
    /// config's Env. The value is everything after the first '='; an entry without '=' is set but empty.
    /// </summary>
    public static ShellEnvironment FromEntries(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return new ShellEnvironment(entries.Select(entry =>
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            return equals < 0
                ? KeyValuePair.Create(entry, "")
                : KeyValuePair.Create(entry[..equals], entry[(equals + 1)..]);
        }));
    }

    /// <inheritdoc />
    public bool TryGet(string name, out string value)
    {
        if (_variables.TryGetValue(name, out var found))
        {
            value = found;
            return true;
        }
        value = "";
        return false;
    }
}
