using BenchmarkDotNet.Attributes;
using Builder.Frontend.Conversion;
using Builder.Frontend.Parser;

namespace Builder.Benchmarks;

/// <summary>
/// Parse and parse+convert of generated multi-stage Dockerfiles, at several sizes with the same
/// number of stages so that the time per instruction across sizes shows whether the frontend is linear.
/// </summary>
[MemoryDiagnoser]
public class FrontendBenchmarks
{
    /// <summary>Stages of every generated Dockerfile.</summary>
    public const int Stages = 20;

    private static readonly ConvertOptions Options = new() { DockerfileName = "Dockerfile" };

    private string _dockerfile = "";

    [Params(250, 500, 1000, 2000)]
    public int Instructions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dockerfile = DockerfileGenerator.Generate(Instructions, Stages);
        Verify(_dockerfile, Instructions, Stages);
    }

    [Benchmark]
    public DockerfileAst Parse() => DockerfileParser.Parse(_dockerfile);

    [Benchmark]
    public async Task<string?> ParseAndConvert()
    {
        var ast = DockerfileParser.Parse(_dockerfile);
        var result = await DockerfileConverter.ConvertAsync(ast, Options).ConfigureAwait(false);
        return result.Definition?.Root.Digest;
    }

    /// <summary>
    /// Fails the run if the generated Dockerfile is not what the benchmark claims to measure:
    /// the instruction count, and every stage converted with a filesystem vertex and a root digest.
    /// </summary>
    internal static void Verify(string dockerfile, int instructions, int stages)
    {
        var ast = DockerfileParser.Parse(dockerfile);
        if (ast.Children.Count != instructions)
        {
            throw new InvalidOperationException($"parsed {ast.Children.Count} instructions, expected {instructions}");
        }
        var result = DockerfileConverter.ConvertAsync(ast, Options).GetAwaiter().GetResult();
        if (result.Stages.Count != stages || result.Stages.Any(s => s.Vertex is null))
        {
            throw new InvalidOperationException($"converted {result.Stages.Count(s => s.Vertex is not null)} stages with a filesystem, expected {stages}");
        }
        if (result.Definition?.Root.Digest is not { Length: > 0 })
        {
            throw new InvalidOperationException("conversion produced no root digest");
        }
    }
}

/// <summary>A Dockerfile whose single RUN line is 1 MiB: parsing must cost memory proportional to the input, nothing more.</summary>
[MemoryDiagnoser]
public class LongLineBenchmarks
{
    /// <summary>Length of the RUN line in characters (1 MiB of ASCII).</summary>
    public const int LineLength = 1 << 20;

    private string _dockerfile = "";

    [GlobalSetup]
    public void Setup()
    {
        _dockerfile = DockerfileGenerator.SingleLongRunLine(LineLength);
        var ast = DockerfileParser.Parse(_dockerfile);
        if (ast.Children.Count != 2 || ast.Children[1].Original.Length != LineLength)
        {
            throw new InvalidOperationException("the long-line Dockerfile did not parse into FROM and one 1 MiB RUN");
        }
    }

    [Benchmark]
    public DockerfileAst ParseOneMegabyteLine() => DockerfileParser.Parse(_dockerfile);

    [Benchmark]
    public async Task<string?> ParseAndConvertOneMegabyteLine()
    {
        var ast = DockerfileParser.Parse(_dockerfile);
        var result = await DockerfileConverter.ConvertAsync(ast, new ConvertOptions()).ConfigureAwait(false);
        return result.Definition?.Root.Digest;
    }
}
