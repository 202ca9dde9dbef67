using BenchmarkDotNet.Running;

namespace Builder.Benchmarks;

public static class Program
{
    /// <summary>
    /// Runs the benchmarks chosen on the command line (BenchmarkDotNet's switches: --filter, --job...).
    /// <c>--check</c> only generates and converts every benchmark input once, as a quick sanity test.
    /// </summary>
    public static int Main(string[] args)
    {
        if (args is ["--check"])
        {
            foreach (var size in new[] { 250, 500, 1000, 2000 })
            {
                var text = DockerfileGenerator.Generate(size, FrontendBenchmarks.Stages);
                FrontendBenchmarks.Verify(text, size, FrontendBenchmarks.Stages);
                Console.WriteLine($"{size} instructions, {FrontendBenchmarks.Stages} stages: {text.Length} chars, ok");
            }
            new LongLineBenchmarks().Setup();
            Console.WriteLine("1 MiB RUN line: ok");
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
