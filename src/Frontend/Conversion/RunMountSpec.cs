using System.Globalization;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>
/// A parsed <c>RUN --mount=...</c> value (comma-separated <c>key=value</c> fields, as in
/// BuildKit). <see cref="From"/> is still a name to resolve to a stage, image or context.
/// <see cref="Target"/> is empty only for a secret exposed solely as an environment variable.
/// </summary>
internal sealed record RunMountSpec(
    MountType Type,
    string Target,
    string Source,
    string? From,
    bool ReadOnly,
    string? Id,
    CacheSharing Sharing,
    int? Mode,
    int? Uid,
    int? Gid,
    bool Required,
    string? Env,
    long Size)
{
    /// <summary>Parses one --mount value; <paramref name="error"/> explains a failure.</summary>
    public static RunMountSpec Parse(string text)
    {
        var fields = SplitFields(text);
        var type = MountType.Bind;
        string? target = null, source = null, from = null, id = null, env = null;
        bool? readOnly = null;
        var sharing = CacheSharing.Shared;
        int? mode = null, uid = null, gid = null;
        var required = false;
        long size = 0;

        // The type decides the defaults, so read it first.
        foreach (var (key, value) in fields)
        {
            if (key == "type")
            {
                type = (value ?? "").ToLowerInvariant() switch
                {
                    "bind" => MountType.Bind,
                    "cache" => MountType.Cache,
                    "tmpfs" => MountType.Tmpfs,
                    "secret" => MountType.Secret,
                    "ssh" => MountType.Ssh,
                    _ => throw new FormatException($"unsupported mount type \"{value}\" (valid: bind, cache, tmpfs, secret, ssh)"),
                };
            }
        }
        foreach (var (rawKey, value) in fields)
        {
            var key = rawKey.ToLowerInvariant();
            switch (key)
            {
                case "type":
                    break;
                case "target" or "dst" or "destination":
                    target = NonEmpty(key, value);
                    break;
                case "source" or "src":
                    source = NonEmpty(key, value);
                    break;
                case "from":
                    from = NonEmpty(key, value);
                    break;
                case "readonly" or "ro":
                    readOnly = Bool(key, value);
                    break;
                case "rw" or "readwrite":
                    readOnly = !Bool(key, value);
                    break;
                case "id":
                    id = NonEmpty(key, value);
                    break;
                case "sharing":
                    sharing = (value ?? "").ToLowerInvariant() switch
                    {
                        "shared" => CacheSharing.Shared,
                        "private" => CacheSharing.Private,
                        "locked" => CacheSharing.Locked,
                        _ => throw new FormatException($"unsupported sharing value \"{value}\" (valid: shared, private, locked)"),
                    };
                    break;
                case "mode":
                    mode = ParseMode(NonEmpty(key, value));
                    break;
                case "uid":
                    uid = Int(key, value);
                    break;
                case "gid":
                    gid = Int(key, value);
                    break;
                case "required":
                    required = Bool(key, value);
                    break;
                case "env":
                    env = NonEmpty(key, value);
                    break;
                case "size":
                    size = ParseSize(NonEmpty(key, value));
                    break;
                default:
                    throw new FormatException($"unexpected key '{rawKey}' in '{text}'");
            }
        }

        switch (type)
        {
            case MountType.Secret:
                if (target is null && env is null)
                {
                    if (id is null)
                    {
                        throw new FormatException("a secret mount needs id= or target=");
                    }
                    target = "/run/secrets/" + id;
                }
                id ??= target is not null ? Path.GetFileName(target) : env;
                mode ??= Convert.ToInt32("400", 8);
                break;
            case MountType.Ssh:
                id ??= "default";
                target ??= "/run/buildkit/ssh_agent.0";
                mode ??= Convert.ToInt32("600", 8);
                break;
            case MountType.Cache:
                mode ??= Convert.ToInt32("755", 8);
                break;
        }
        if (target is null && !(type == MountType.Secret && env is not null))
        {
            throw new FormatException($"the {type.ToString().ToLowerInvariant()} mount needs target=");
        }
        if (env is not null && type != MountType.Secret)
        {
            throw new FormatException("env= is only valid for secret mounts");
        }
        if (size != 0 && type != MountType.Tmpfs)
        {
            throw new FormatException("size= is only valid for tmpfs mounts");
        }
        if (type != MountType.Cache && (sharing != CacheSharing.Shared))
        {
            throw new FormatException("sharing= is only valid for cache mounts");
        }
        if (from is not null && type is not (MountType.Bind or MountType.Cache))
        {
            throw new FormatException("from= is only valid for bind and cache mounts");
        }
        var ro = readOnly ?? type == MountType.Bind;
        if (type == MountType.Cache)
        {
            id ??= target;
        }
        return new RunMountSpec(type, target ?? "", source ?? "/", from, ro, id, sharing, mode, uid, gid, required, env, size);
    }

    private static List<(string Key, string? Value)> SplitFields(string text)
    {
        var fields = new List<(string, string?)>();
        foreach (var field in SplitCsv(text))
        {
            if (field.Length == 0)
            {
                continue;
            }
            var eq = field.IndexOf('=');
            fields.Add(eq < 0 ? (field, null) : (field[..eq], field[(eq + 1)..]));
        }
        return fields;
    }

    /// <summary>Splits on commas, honouring double-quoted fields as CSV does.</summary>
    private static IEnumerable<string> SplitCsv(string text)
    {
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                if (quoted && i + 1 < text.Length && text[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else if (c == ',' && !quoted)
            {
                yield return current.ToString().Trim();
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (quoted)
        {
            throw new FormatException($"unterminated quote in '{text}'");
        }
        yield return current.ToString().Trim();
    }

    private static string NonEmpty(string key, string? value) =>
        string.IsNullOrEmpty(value) ? throw new FormatException($"{key}= needs a value") : value;

    private static bool Bool(string key, string? value) => value is null ? true
        : bool.TryParse(value, out var b) ? b
        : throw new FormatException($"{key}= expects true or false, not '{value}'");

    private static int Int(string key, string? value) =>
        int.TryParse(NonEmpty(key, value), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
        : throw new FormatException($"{key}= expects a non-negative number, not '{value}'");

    private static int ParseMode(string value)
    {
        try
        {
            var mode = Convert.ToInt32(value, 8);
            if (mode is < 0 or > 4095)
            {
                throw new FormatException();
            }
            return mode;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new FormatException($"mode= expects an octal mode such as 0755, not '{value}'");
        }
    }

    private static long ParseSize(string value)
    {
        var text = value.Trim().ToLowerInvariant();
        long multiplier = 1;
        var suffixes = new (string Suffix, long Factor)[]
        {
            ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30),
            ("kb", 1000), ("mb", 1000_000), ("gb", 1000_000_000),
            ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("b", 1),
        };
        foreach (var (suffix, factor) in suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                multiplier = factor;
                text = text[..^suffix.Length];
                break;
            }
        }
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number) || number < 0)
        {
            throw new FormatException($"size= expects a size such as 64m, not '{value}'");
        }
        return (long)(number * multiplier);
    }
}
