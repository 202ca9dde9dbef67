using Builder.Solver;

namespace Builder.Cli.Build;

/// <summary>
/// <c>--secret id=X,src=FILE|env=VAR</c> (docker/buildx syntax; <c>type=file|env</c> accepted).
/// Values are read only when a step asks for them, and never kept.
/// </summary>
internal sealed class SecretArguments : ISecretSource
{
    private readonly Dictionary<string, (string? File, string? Variable)> _secrets = new(StringComparer.Ordinal);

    public static SecretArguments Parse(IEnumerable<string> values)
    {
        var parsed = new SecretArguments();
        foreach (var value in values)
        {
            string? id = null, src = null, env = null, type = null;
            foreach (var part in value.Split(','))
            {
                var eq = part.IndexOf('=');
                if (eq <= 0)
                {
                    throw new UsageException($"--secret {value}: expected key=value pairs (id=NAME,src=FILE or id=NAME,env=VARIABLE)");
                }
                var key = part[..eq].Trim();
                var v = part[(eq + 1)..];
                switch (key)
                {
                    case "id": id = v; break;
                    case "src" or "source": src = v; break;
                    case "env": env = v; break;
                    case "type": type = v; break;
                    default: throw new UsageException($"--secret {value}: unknown key \"{key}\" (valid: id, src, env, type)");
                }
            }
            if (type is not null and not "file" and not "env")
            {
                throw new UsageException($"--secret {value}: type must be file or env");
            }
            if (type == "env" && env is null)
            {
                env = src ?? id;
                src = null;
            }
            id ??= src is not null ? Path.GetFileName(src) : env;
            if (string.IsNullOrEmpty(id))
            {
                throw new UsageException($"--secret {value}: no id");
            }
            if (src is null && env is null)
            {
                // buildx: a bare id reads the environment variable of that name
                env = id;
            }
            if (src is not null && !File.Exists(src))
            {
                throw new UsageException($"--secret {value}: file {src} does not exist");
            }
            parsed._secrets[id] = (src, env);
        }
        return parsed;
    }

    /// <summary>The secret ids given (a remote build offers these to the server).</summary>
    public IReadOnlyCollection<string> Ids => _secrets.Keys;

    public async ValueTask<byte[]?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (!_secrets.TryGetValue(id, out var secret))
        {
            return null;
        }
        if (secret.File is { } file)
        {
            return await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }
        return Environment.GetEnvironmentVariable(secret.Variable!) is { } text ? System.Text.Encoding.UTF8.GetBytes(text) : null;
    }
}
