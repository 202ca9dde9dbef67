namespace Builder.Snapshotter.FileOps;

/// <summary>
/// A --chmod value: octal ("755", "0644") or symbolic ("u+x", "go-w", "a=rX", comma separated) as chmod(1)
/// reads it, applied to each entry's own mode.
/// </summary>
public sealed class FileModeSpec
{
    private readonly uint? _octal;
    private readonly List<(uint Who, char Op, string Perms)> _clauses = [];

    private FileModeSpec(uint? octal) => _octal = octal;

    public static FileModeSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text.All(c => c is >= '0' and <= '7'))
        {
            if (text.Length > 4)
            {
                throw new FormatException($"invalid --chmod '{text}': more than 4 octal digits");
            }
            return new FileModeSpec(Convert.ToUInt32(text, 8));
        }
        var spec = new FileModeSpec(null);
        foreach (var clause in text.Split(','))
        {
            var i = 0;
            uint who = 0;
            for (; i < clause.Length && "ugoa".Contains(clause[i], StringComparison.Ordinal); i++)
            {
                who |= clause[i] switch { 'u' => 0x9C0u, 'g' => 0x438u, 'o' => 0x207u, _ => 0xFFFu };
            }
            if (i >= clause.Length || clause[i] is not ('+' or '-' or '='))
            {
                throw new FormatException($"invalid --chmod '{text}': expected octal digits or [ugoa][+-=][rwxXst]");
            }
            var op = clause[i];
            var perms = clause[(i + 1)..];
            if (perms.Any(c => !"rwxXst".Contains(c, StringComparison.Ordinal)))
            {
                throw new FormatException($"invalid --chmod '{text}': unknown permission in '{clause}'");
            }
            spec._clauses.Add((who == 0 ? 0xFFFu : who, op, perms));
        }
        return spec;
    }

    /// <summary>The new permission bits for an entry whose current bits are <paramref name="mode"/>.</summary>
    public uint Apply(uint mode, bool isDirectory)
    {
        if (_octal is { } octal)
        {
            return octal;
        }
        foreach (var (who, op, perms) in _clauses)
        {
            uint bits = 0;
            foreach (var p in perms)
            {
                bits |= p switch
                {
                    'r' => 0x124u,
                    'w' => 0x92u,
                    'x' => 0x49u,
                    'X' => isDirectory || (mode & 0x49) != 0 ? 0x49u : 0,
                    's' => 0xC00u,
                    _ => 0x200u, // 't'
                };
            }
            bits &= who;
            mode = op switch
            {
                '+' => mode | bits,
                '-' => mode & ~bits,
                _ => (mode & ~(who & 0x1FF)) | bits,
            };
        }
        return mode & 0xFFF;
    }
}
