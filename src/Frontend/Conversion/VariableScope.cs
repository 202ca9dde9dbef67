using Builder.Frontend.Shell;

namespace Builder.Frontend.Conversion;

/// <summary>
/// The variables visible to expansion at one point of a stage: declared ARGs, overlaid by the
/// image's ENV (ENV wins over an ARG of the same name, as the Dockerfile reference says).
/// </summary>
internal sealed class VariableScope : IShellEnvironment
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public VariableScope(IEnumerable<KeyValuePair<string, string?>> args, IEnumerable<string> env)
    {
        foreach (var (key, value) in args)
        {
            if (value is not null)
            {
                _values[key] = value;
            }
        }
        foreach (var entry in env)
        {
            var eq = entry.IndexOf('=');
            if (eq > 0)
            {
                _values[entry[..eq]] = entry[(eq + 1)..];
            }
        }
    }

    public bool TryGet(string name, out string value) => _values.TryGetValue(name, out value!);
}
