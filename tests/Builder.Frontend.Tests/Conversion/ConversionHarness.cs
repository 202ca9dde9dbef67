using Builder.Frontend.Conversion;
using Builder.Frontend.Parser;
using Builder.Solver.Definition;

namespace Builder.Frontend.Tests.Conversion;

/// <summary>Parses and converts Dockerfile text, and finds ops in the result.</summary>
internal static class ConversionHarness
{
    public static ConversionResult Convert(string dockerfile, ConvertOptions? options = null) =>
        DockerfileConverter.ConvertAsync(DockerfileParser.Parse(dockerfile), options ?? new ConvertOptions()).GetAwaiter().GetResult();

    public static DockerfileException ConvertFails(string dockerfile, ConvertOptions? options = null) =>
        Assert.Throws<DockerfileException>(() => Convert(dockerfile, options));

    public static IReadOnlyList<Vertex> Vertices(this ConversionResult result) =>
        result.Definition?.TopologicalOrder() ?? [];

    public static IReadOnlyList<ExecOp> Execs(this ConversionResult result) =>
        result.Vertices().Select(v => v.Op).OfType<ExecOp>().ToList();

    public static ExecOp Exec(this ConversionResult result, string commandFragment) =>
        result.Execs().Single(e => e.Args.Any(a => a.Contains(commandFragment, StringComparison.Ordinal)));

    public static IReadOnlyList<SourceOp> Images(this ConversionResult result) =>
        result.Vertices().Select(v => v.Op).OfType<SourceOp>().Where(s => s.Source == SourceKind.Image).ToList();

    public static IReadOnlyList<T> Actions<T>(this ConversionResult result) where T : FileAction =>
        result.Vertices().Select(v => v.Op).OfType<FileOp>().SelectMany(f => f.Actions).OfType<T>().ToList();

    public static string? EnvValue(this IReadOnlyList<string> env, string key)
    {
        var entries = env.Where(e => e.StartsWith(key + "=", StringComparison.Ordinal)).ToList();
        Assert.True(entries.Count <= 1, $"{key} appears {entries.Count} times in [{string.Join(", ", env)}]");
        return entries.Count == 0 ? null : entries[0][(key.Length + 1)..];
    }

    public static Dictionary<string, string> Args(params (string Key, string Value)[] args) =>
        args.ToDictionary(a => a.Key, a => a.Value);
}
