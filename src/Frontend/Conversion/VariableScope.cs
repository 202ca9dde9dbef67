using Builder.Frontend.Shell;

namespace Builder.Frontend.Conversion;

/// <summary>
/// The variables visible to expansion at one point of a stage: declared ARGs, overlaid by the
/// image's ENV (ENV wins over an ARG of the same name, as the Dockerfile reference says).
/// A live view: nothing is copied, so building one per instruction costs nothing.
/// </summary>
internal sealed class VariableScope : IShellEnvironment
{
    private readonly IReadOnlyDictionary<string, string>? _env;
    private readonly IReadOnlyDictionary<string, string?> _args;

    public VariableScope(IReadOnlyDictionary<string, string?> args, IReadOnlyDictionary<string, string>? env = null)
    {
        _args = args;
        _env = env;
    }

    public bool TryGet(string name, out string value)
    {
        if (_env is not null && _env.TryGetValue(name, out value!))
        {
            return true;
        }
        if (_args.TryGetValue(name, out var arg) && arg is not null)
        {
            value = arg;
            return true;
        }
        value = "";
        return false;
    }
}
