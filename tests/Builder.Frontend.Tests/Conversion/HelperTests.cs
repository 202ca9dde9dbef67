using Builder.Frontend.DockerIgnore;
using Builder.Snapshotter.Context;

namespace Builder.Frontend.Tests.Conversion;

public sealed class ClosestMatchTests
{
    [Theory]
    [InlineData("RUNN", "RUN")]
    [InlineData("COPPY", "COPY")]
    [InlineData("ENTRYPONT", "ENTRYPOINT")]
    [InlineData("wokrdir", "WORKDIR")]
    public void FindsTypos(string word, string expected) => Assert.Equal(expected, ClosestMatch.Find(word, Instructions.InstructionParser.Keywords));

    [Theory]
    [InlineData("FROBNICATE")]
    [InlineData("RUN")]
    [InlineData("X")]
    public void NoSuggestionForUnrelatedOrExactWords(string word) => Assert.Null(ClosestMatch.Find(word, Instructions.InstructionParser.Keywords));
}

public sealed class DockerIgnoreAppliedToContextTests
{
    [Fact]
    public void ExcludedFilesAreNotReadFromTheContext()
    {
        var root = Directory.CreateTempSubdirectory("builder-ctx-").FullName;
        try
        {
            foreach (var file in new[] { "app/main.c", "app/debug.log", "logs/a.log", "logs/keep.log", "node_modules/x/index.js", "README.md", "Dockerfile" })
            {
                var path = Path.Combine(root, file);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllText(path, file);
            }
            File.WriteAllText(Path.Combine(root, ".dockerignore"), "**/*.log\n!logs/keep.log\nnode_modules\n*.md\n");
            var patterns = DockerIgnoreLoader.Load(root, Path.Combine(root, "Dockerfile"));
            var walked = new ContextWalker(root, new PatternMatcher(patterns)).Walk(TestContext.Current.CancellationToken)
                .Where(e => e.Type == FileType.RegularFile)
                .Select(e => e.RelativePath)
                .ToList();
            Assert.Equal([".dockerignore", "Dockerfile", "app/main.c", "logs/keep.log"], walked);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
