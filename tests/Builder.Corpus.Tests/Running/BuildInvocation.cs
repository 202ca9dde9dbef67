using Builder.Corpus.Tests.Cases;

namespace Builder.Corpus.Tests.Running;

/// <summary>
/// The arguments of one build of a case, shared by our builder and docker (both take the
/// docker/buildx flags): Dockerfile, build args, target, secrets, named contexts.
/// </summary>
public sealed class BuildInvocation
{
    public required CorpusCase Case { get; init; }

    public required string ContextDir { get; init; }

    /// <summary>Build args: the case's, plus BASE/HTTP from the fixtures, plus a rebuild's.</summary>
    public required IReadOnlyDictionary<string, string> BuildArgs { get; init; }

    /// <summary>Folder for secret files.</summary>
    public required string WorkDir { get; init; }

    /// <summary>Environment variables that carry secrets given with env=.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>The flags common to `builder build` and `docker build`, without outputs or PATH.</summary>
    public List<string> CommonFlags()
    {
        var e = Case.Expectation;
        var flags = new List<string> { "-f", Case.DockerfilePath };
        foreach (var (key, value) in BuildArgs.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            flags.Add("--build-arg");
            flags.Add($"{key}={value}");
        }
        if (e.Target is { } target)
        {
            flags.Add("--target");
            flags.Add(target);
        }
        foreach (var (id, value) in e.Secrets)
        {
            var file = Path.Combine(WorkDir, "secret-" + id);
            File.WriteAllText(file, value);
            flags.Add("--secret");
            flags.Add($"id={id},src={file}");
        }
        foreach (var (id, value) in e.SecretsFromEnv)
        {
            var variable = "CORPUS_SECRET_" + id.ToUpperInvariant().Replace('-', '_');
            Environment[variable] = value;
            flags.Add("--secret");
            flags.Add($"id={id},env={variable}");
        }
        foreach (var (name, folder) in e.BuildContexts)
        {
            flags.Add("--build-context");
            flags.Add($"{name}={Path.Combine(Case.Folder, folder)}");
        }
        return flags;
    }

    /// <summary>The case's build args with the fixture values its Dockerfile declares.</summary>
    public static Dictionary<string, string> ArgsFor(CorpusCase c, string? baseImage, string? httpBase,
        IReadOnlyDictionary<string, string>? overrides = null)
    {
        var args = new Dictionary<string, string>(c.Expectation.BuildArgs, StringComparer.Ordinal);
        if (c.Declares("BASE") && !args.ContainsKey("BASE"))
        {
            args["BASE"] = baseImage ?? throw new InvalidOperationException($"{c.Name} needs the base image fixture");
        }
        if (c.Declares("HTTP") && !args.ContainsKey("HTTP"))
        {
            args["HTTP"] = httpBase ?? throw new InvalidOperationException($"{c.Name} needs the HTTP fixture");
        }
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            args[key] = value;
        }
        return args;
    }
}
