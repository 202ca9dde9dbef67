using Builder.Frontend.Parser;
using Builder.TestSupport;

namespace Builder.Frontend.Tests.Parser;

/// <summary>BuildKit's parser vectors (see /work/shared/conformance/README.md), one test row per case.</summary>
public sealed class ParserConformanceTests
{
    private const string Positive = "conformance/dockerfile-parser/testfiles";
    private const string Negative = "conformance/dockerfile-parser/testfiles-negative";
    private const string LineCase = "conformance/dockerfile-parser/testfile-line/Dockerfile";

    public static TheoryData<string> PositiveCases() => CaseNames(Positive);

    public static TheoryData<string> NegativeCases() => CaseNames(Negative);

    [Theory]
    [MemberData(nameof(PositiveCases))]
    public void Dump_matches_result(string caseName)
    {
        var folder = Path.Combine(SharedData.Require(Positive), caseName);
        using var reader = new StreamReader(Path.Combine(folder, "Dockerfile"));

        var ast = DockerfileParser.Parse(reader);

        Assert.Equal(File.ReadAllText(Path.Combine(folder, "result")), ast.Dump());
    }

    [Theory]
    [MemberData(nameof(NegativeCases))]
    public void Negative_case_throws_DockerfileException(string caseName)
    {
        var folder = Path.Combine(SharedData.Require(Negative), caseName);
        var text = File.ReadAllText(Path.Combine(folder, "Dockerfile"));

        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Line_numbers_span_continuations_and_inner_blank_lines()
    {
        var text = File.ReadAllText(SharedData.Require(LineCase));

        var ast = DockerfileParser.Parse(text);

        Assert.Equal([(5, 5), (11, 12), (17, 31)], ast.Children.Select(n => (n.StartLine, n.EndLine)));
        Assert.Equal((5, 31), (ast.StartLine, ast.EndLine));
    }

    /// <summary>
    /// One row per case folder. Without the shared data (outside CI) a single placeholder row makes
    /// the test call <see cref="SharedData.Require"/>, which skips; under CI TryFind itself fails.
    /// </summary>
    private static TheoryData<string> CaseNames(string relative)
    {
        var data = new TheoryData<string>();
        var root = SharedData.TryFind(relative);
        if (root is null)
        {
            data.Add("(shared data missing)");
            return data;
        }
        foreach (var dir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir));
        }
        return data;
    }
}
