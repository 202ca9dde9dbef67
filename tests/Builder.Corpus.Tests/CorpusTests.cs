using System.Text;
using Builder.Corpus.Tests.Cases;
using Builder.Corpus.Tests.Checking;
using Builder.TestSupport;

namespace Builder.Corpus.Tests;

/// <summary>
/// Builds every case of tests/dockerfiles/cases with `builder build` and checks its
/// expectation: files, absent paths, config, history, layers applied in order against the local
/// output, secrets nowhere, cache behaviour across rebuilds, or the expected error.
/// </summary>
[Collection(CorpusCollection.Name)]
public sealed class CorpusTests
{
    public static TheoryData<string> Cases => new(CorpusCase.Names());

    [Fact]
    public void The_corpus_has_at_least_60_cases_and_every_expectation_parses()
    {
        var names = CorpusCase.Names();
        Assert.True(names.Count >= 60, $"the corpus has {names.Count} cases, fewer than 60");
        var problems = new List<string>();
        foreach (var name in names)
        {
            try
            {
                var c = CorpusCase.Load(name);
                if (!File.Exists(c.DockerfilePath))
                {
                    problems.Add($"{name}: no {Path.GetFileName(c.DockerfilePath)}");
                }
                var e = c.Expectation;
                var checks = e.Files.Count + e.Absent.Count + (e.Config?.Count ?? 0) + (e.Image?.Count ?? 0)
                    + (e.History?.Count ?? 0) + (e.Error is null ? 0 : 1) + (e.Cache is null ? 0 : 1) + (e.LayerCount is null ? 0 : 1);
                if (checks == 0)
                {
                    problems.Add($"{name}: expect.json asserts nothing");
                }
                if (e.Error is not null && (e.Files.Count > 0 || e.Cache is not null))
                {
                    problems.Add($"{name}: an error case cannot also expect files or cache behaviour");
                }
            }
            catch (InvalidDataException ex)
            {
                problems.Add(ex.Message);
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_builds_as_expected(string name)
    {
        Capabilities.RequireRoot();
        using var run = await CaseRun.PrepareAsync(name);
        var e = run.Case.Expectation;
        var problems = new List<Difference>();

        // An error is checked as a user reads it: plain progress, the message naming the line.
        var first = run.Build("first", withOci: e.Error is null, progress: e.Error is null ? "rawjson" : "plain");
        var output = first.Result.Out + "\n" + first.Result.Error;
        if (e.Error is { } error)
        {
            if (first.Result.ExitCode == 0)
            {
                Assert.Fail($"{name}: expected the build to fail, it succeeded\n{first.Result.Describe()}");
            }
            problems.AddRange(ExpectationChecker.CheckError(error, first.Result.Error + "\n" + first.Result.Out, Path.GetFileName(run.Case.DockerfilePath)));
            if (output.Contains("\n   at ", StringComparison.Ordinal))
            {
                problems.Add(new Difference("error", "the output holds a stack trace"));
            }
            Report(name, problems, first.Result.Describe());
            return;
        }
        if (first.Result.ExitCode != 0)
        {
            Assert.Fail($"{name}: the build failed\n{first.Result.Describe()}");
        }

        var local = first.LocalTree;
        var image = first.Image;
        var layered = image.RootFs();
        problems.AddRange(TreeComparer.Compare(layered, local, "layers applied in order", "type=local output")
            .Select(d => d with { Key = "layers-vs-local:" + d.Key }));
        problems.AddRange(ExpectationChecker.CheckFiles(e.Files, local, "local"));
        problems.AddRange(ExpectationChecker.CheckAbsent(e.Absent, local, "local"));
        if (e.Exact)
        {
            problems.AddRange(ExpectationChecker.CheckExact(e.Files, local, "local"));
        }
        problems.AddRange(ExpectationChecker.CheckImage(e, image.Config, image.Layers.Count));

        var secrets = e.Secrets.Values.Concat(e.SecretsFromEnv.Values).ToList();
        if (secrets.Count > 0)
        {
            problems.AddRange(SecretScanner.Scan(secrets,
                [first.LocalDir, image.Directory, run.Cli.DataRoot],
                [("the progress output", output), ("the image config", image.Config.ToJsonString())]));
        }

        if (e.Cache is { } cache)
        {
            if (cache.SecondBuildCached)
            {
                var second = run.Build("second", withOci: false);
                if (second.Result.ExitCode != 0)
                {
                    Assert.Fail($"{name}: the second build failed\n{second.Result.Describe()}");
                }
                problems.AddRange(second.Progress.AllStepsCached().Select(p => new Difference("cache.second", p)));
                problems.AddRange(TreeComparer.Compare(local, second.LocalTree, "first build", "second build")
                    .Select(d => d with { Key = "cache.second:" + d.Key }));
            }
            var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var edit in cache.Edits)
            {
                index++;
                if (edit.File is { } file)
                {
                    var path = Path.Combine(run.ContextDir, file);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllText(path, edit.Content ?? "");
                }
                foreach (var (key, value) in edit.BuildArgs)
                {
                    overrides[key] = value;
                }
                var rebuild = run.Build($"edit{index}", overrides, withOci: false);
                if (rebuild.Result.ExitCode != 0)
                {
                    Assert.Fail($"{name}: rebuild {index} failed\n{rebuild.Result.Describe()}");
                }
                problems.AddRange(rebuild.Progress.OnlyRan(edit.Ran).Select(p => new Difference($"cache.edit{index}", p)));
                problems.AddRange(ExpectationChecker.CheckFiles(edit.Files, rebuild.LocalTree, $"edit{index}"));
            }
        }
        Report(name, problems, first.Result.Describe());
    }

    private static void Report(string name, List<Difference> problems, string buildLog)
    {
        if (problems.Count == 0)
        {
            return;
        }
        var text = new StringBuilder($"{name}: {problems.Count} difference(s) from the expectation\n");
        foreach (var p in problems)
        {
            text.Append("  ").Append(p).Append('\n');
        }
        text.Append("build output:\n").Append(buildLog);
        Assert.Fail(text.ToString());
    }
}
