using Builder.Frontend.Parser;

namespace Builder.Frontend.Instructions;

/// <summary>
/// Parses the <c>--name[=value]</c> flags of one instruction against the flags it accepts.
/// Unknown flags, repeated single-valued flags, missing values and non-boolean values for
/// boolean flags are errors that name the flag and the instruction's line.
/// </summary>
internal sealed class InstructionFlags
{
    private enum FlagKind { String, Bool, List }

    private readonly Node _node;
    private readonly Dictionary<string, FlagKind> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public InstructionFlags(Node node) => _node = node;

    public InstructionFlags String(string name) => Accept(name, FlagKind.String);

    public InstructionFlags Bool(string name) => Accept(name, FlagKind.Bool);

    public InstructionFlags List(string name) => Accept(name, FlagKind.List);

    /// <summary>Checks every flag on the node; call once after declaring the accepted flags.</summary>
    public InstructionFlags Parse()
    {
        var keyword = _node.Keyword.ToUpperInvariant();
        foreach (var raw in _node.Flags)
        {
            if (!raw.StartsWith("--", StringComparison.Ordinal) || raw.Length == 2)
            {
                throw Error($"{keyword}: invalid flag '{raw}': flags look like --name or --name=value");
            }
            var eq = raw.IndexOf('=');
            var name = eq < 0 ? raw[2..] : raw[2..eq];
            string? value = eq < 0 ? null : raw[(eq + 1)..];
            if (!_accepted.TryGetValue(name, out var kind))
            {
                var hint = ClosestMatch.Find(name, _accepted.Keys);
                var known = _accepted.Count == 0
                    ? $"{keyword} takes no flags"
                    : hint is not null ? $"did you mean --{hint}?" : "valid flags: " + string.Join(", ", _accepted.Keys.Order().Select(k => "--" + k));
                throw Error($"{keyword}: unknown flag --{name} ({known})");
            }
            switch (kind)
            {
                case FlagKind.Bool:
                    value ??= "true";
                    if (!bool.TryParse(value, out _))
                    {
                        throw Error($"{keyword}: --{name} expects true or false, not '{value}'");
                    }
                    value = value.ToLowerInvariant();
                    break;
                case FlagKind.String or FlagKind.List when value is null:
                    throw Error($"{keyword}: --{name} needs a value (--{name}=VALUE)");
            }
            if (!_values.TryGetValue(name, out var list))
            {
                _values[name] = list = [];
            }
            else if (kind != FlagKind.List)
            {
                throw Error($"{keyword}: --{name} is given more than once");
            }
            list.Add(value!);
        }
        return this;
    }

    public string? GetString(string name) => _values.TryGetValue(name, out var v) ? v[0] : null;

    public bool? GetBool(string name) => _values.TryGetValue(name, out var v) ? v[0] == "true" : null;

    public IReadOnlyList<string> GetList(string name) => _values.TryGetValue(name, out var v) ? v : [];

    private InstructionFlags Accept(string name, FlagKind kind)
    {
        _accepted[name] = kind;
        return this;
    }

    private DockerfileException Error(string message) => new(message, _node.StartLine, _node.EndLine);
}
