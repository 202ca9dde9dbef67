using System.Text;
using System.Text.Json.Nodes;
using Builder.Corpus.Tests.Cases;
using Builder.Corpus.Tests.Checking;
using Builder.Corpus.Tests.Running;
using Builder.Corpus.Tests.Trees;
using Builder.TestSupport;

namespace Builder.Corpus.Tests.Docker;

/// <summary>
/// Builds every non-error case with Docker's BuildKit (a private dockerd) and with our
/// builder, and compares the images: root filesystems from the layers applied in order (type,
/// mode, owner, content, link target, hardlinks; never mtimes), the Dockerfile-controlled
/// config fields and the history. Docker's side is read from `docker save`, not from its
/// `-o type=local` export, which in docker 20.10 drops every owner (see docs/CORPUS.md); our
/// local output is held equal to our image by <see cref="CorpusTests"/>. Every difference must be listed in
/// docs/CORPUS.md as a deliberate deviation; a listed deviation that no longer occurs fails too.
/// </summary>
[Collection(CorpusCollection.Name)]
public sealed class BuildKitDifferentialTests(DockerDaemon docker) : IClassFixture<DockerDaemon>
{
    public static TheoryData<string> Cases => new(CorpusCase.Names().Where(n => CorpusCase.Load(n).Expectation.Error is null));

    [Fact]
    public void Every_deviation_row_names_a_case_of_the_corpus()
    {
        var names = CorpusCase.Names().ToHashSet(StringComparer.Ordinal);
        var unknown = KnownDeviations.Load().Rows.Where(r => r.Case != "*" && !names.Contains(r.Case))
            .Select(r => $"docs/CORPUS.md:{r.Line}: no case named '{r.Case}'").ToList();
        Assert.True(unknown.Count == 0, string.Join('\n', unknown));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case_matches_BuildKit(string name)
    {
        Capabilities.RequireRoot();
        if (docker.Failure is { } failure)
        {
            if (SharedData.IsCi)
            {
                Assert.Fail($"the Docker daemon for the differential test is not usable; CI=true, so this is a failure: {failure}");
            }
            Assert.Skip("Docker daemon not usable: " + failure);
        }
        var deviations = KnownDeviations.Load();
        using var run = await CaseRun.PrepareAsync(name);
        var tag = $"corpus-{name}:latest";
        var dockerLocal = Path.Combine(run.WorkDir, "docker.local");
        var dockerArgs = new List<string> { "build", "--network", "none", "--progress", "plain" };
        var invocation = run.Invocation();
        dockerArgs.AddRange(invocation.CommonFlags());

        if (deviations.NotComparable(name) is { } reason)
        {
            // Keep the list honest: the case must really be beyond this Docker.
            var attempt = docker.Run([.. dockerArgs, "-o", $"type=local,dest={dockerLocal}", run.ContextDir], env: invocation.Environment);
            Assert.True(attempt.ExitCode != 0,
                $"{name} is listed in docs/CORPUS.md as not buildable by Docker ({reason}), but Docker built it; compare it instead");
            return;
        }

        var theirs = BuildWithDocker(name, tag, [.. dockerArgs, run.ContextDir], invocation.Environment, run.WorkDir);

        var ours = run.Build("ours");
        Assert.True(ours.Result.ExitCode == 0, $"{name}: our build failed\n{ours.Result.Describe()}");

        var differences = new List<Difference>();
        differences.AddRange(TreeComparer.Compare(theirs.RootFs, ours.Image.RootFs(), "buildkit", "builder"));
        differences.AddRange(ConfigComparer.CompareConfigs(theirs.Config["config"] as JsonObject, ours.Image.Config["config"] as JsonObject, "buildkit", "builder"));
        differences.AddRange(CompareHistory(theirs.Config, ours.Image.Config));
        differences.AddRange(CompareTop(theirs.Config, ours.Image.Config));
        Judge(name, deviations, differences);
    }

    /// <summary>
    /// Checks every case's own expectation against BuildKit's result, so an expectation cannot
    /// quietly encode our behaviour where it differs from BuildKit's: only the deliberate
    /// deviations of docs/CORPUS.md may differ. Cases Docker cannot build are left out.
    /// </summary>
    [Fact]
    public async Task Expectations_hold_on_BuildKit()
    {
        Capabilities.RequireRoot();
        Assert.True(docker.Failure is null, docker.Failure);
        var deviations = KnownDeviations.Load();
        var problems = new List<string>();
        foreach (var name in CorpusCase.Names())
        {
            using var run = await CaseRun.PrepareAsync(name);
            var e = run.Case.Expectation;
            if (e.Error is not null || deviations.NotComparable(name) is not null)
            {
                continue;
            }
            var invocation = run.Invocation();
            var theirs = BuildWithDocker(name, $"corpus-{name}:latest",
                ["build", "--network", "none", "--progress", "plain", .. invocation.CommonFlags(), run.ContextDir],
                invocation.Environment, run.WorkDir);
            var tree = theirs.RootFs;
            var found = new List<Difference>();
            found.AddRange(ExpectationChecker.CheckFiles(e.Files, tree, "buildkit"));
            found.AddRange(ExpectationChecker.CheckAbsent(e.Absent, tree, "buildkit"));
            if (e.Exact)
            {
                found.AddRange(ExpectationChecker.CheckExact(e.Files, tree, "buildkit"));
            }
            found.AddRange(ExpectationChecker.CheckImage(e, theirs.Config, theirs.LayerCount));
            const string Prefix = "buildkit:";
            problems.AddRange(found
                .Where(d => deviations.Find(name, d.Key.StartsWith(Prefix, StringComparison.Ordinal) ? d.Key[Prefix.Length..] : d.Key) is null)
                .Select(d => $"{name}: {d}"));
        }
        Assert.True(problems.Count == 0, "BuildKit disagrees with these expectations:\n  " + string.Join("\n  ", problems));
    }

    /// <summary>
    /// docker build -t, then the image read back. Docker 20.10
    /// here now and then loses a layer's rootfs under BuildKit ("stat /bin/sh: no such file",
    /// "merged/...: no such file" on save), a fault of the daemon, not of the case; such a
    /// sequence is tried up to three times, and the last failure is reported.
    /// </summary>
    private DockerImage BuildWithDocker(string name, string tag, List<string> buildArgs, IDictionary<string, string> env, string workDir)
    {
        var context = buildArgs[^1];
        var flags = buildArgs.Take(buildArgs.Count - 1).ToList();
        string failure = "";
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var built = docker.Run([.. flags, "-t", tag, context], env: env);
            if (built.ExitCode != 0)
            {
                failure = $"{name}: docker build failed (attempt {attempt})\n{built.Describe()}";
                continue;
            }
            try
            {
                return DockerImage.Load(docker, tag, Path.Combine(workDir, $"docker-{attempt}"));
            }
            catch (InvalidOperationException e)
            {
                failure = $"{name}: reading the image back failed (attempt {attempt})\n{e.Message}";
            }
        }
        Assert.Fail(failure);
        return null!;
    }

    private static void Judge(string name, KnownDeviations deviations, List<Difference> differences)
    {
        var unexplained = differences.Where(d => deviations.Find(name, d.Key) is null).ToList();
        var used = differences.Select(d => deviations.Find(name, d.Key)).OfType<KnownDeviations.Row>().ToHashSet();
        var stale = deviations.For(name).Where(r => !used.Contains(r)).ToList();
        if (unexplained.Count == 0 && stale.Count == 0)
        {
            return;
        }
        var text = new StringBuilder($"{name}: builder differs from BuildKit\n");
        foreach (var d in unexplained)
        {
            text.Append("  unexplained ").Append(d).Append('\n');
        }
        foreach (var r in stale)
        {
            text.Append($"  stale deviation docs/CORPUS.md:{r.Line} ({r.Key}) no longer occurs: remove it\n");
        }
        text.Append("(a deliberate difference belongs in docs/CORPUS.md's deviation table with its reason)");
        Assert.Fail(text.ToString());
    }

    /// <summary>The history entries the Dockerfile added (after the base's), compared field by field.</summary>
    private static IEnumerable<Difference> CompareHistory(JsonObject theirs, JsonObject ours)
    {
        var a = theirs["history"] as JsonArray ?? [];
        var b = ours["history"] as JsonArray ?? [];
        if (a.Count != b.Count)
        {
            yield return new Difference("history.length",
                $"buildkit {a.Count} entries [{string.Join(" | ", a.Select(CreatedBy))}] vs builder {b.Count} [{string.Join(" | ", b.Select(CreatedBy))}]");
            yield break;
        }
        for (var i = 0; i < a.Count; i++)
        {
            if (CreatedBy(a[i]) != CreatedBy(b[i]))
            {
                yield return new Difference($"history[{i}].created_by", $"buildkit {ExpectationChecker.Quote(CreatedBy(a[i]))} vs builder {ExpectationChecker.Quote(CreatedBy(b[i]))}");
            }
            if (Empty(a[i]) != Empty(b[i]))
            {
                yield return new Difference($"history[{i}].empty_layer", $"buildkit {Empty(a[i])} vs builder {Empty(b[i])} ({CreatedBy(a[i])})");
            }
        }
    }

    private static IEnumerable<Difference> CompareTop(JsonObject theirs, JsonObject ours)
    {
        foreach (var field in new[] { "author", "os", "architecture" })
        {
            if (!ConfigComparer.JsonEqual(theirs[field], ours[field]))
            {
                yield return new Difference("image." + field, $"buildkit {ConfigComparer.Show(theirs[field])} vs builder {ConfigComparer.Show(ours[field])}");
            }
        }
        var layersA = (theirs["rootfs"]?["diff_ids"] as JsonArray)?.Count ?? 0;
        var layersB = (ours["rootfs"]?["diff_ids"] as JsonArray)?.Count ?? 0;
        if (layersA != layersB)
        {
            yield return new Difference("image.layers", $"buildkit {layersA} layers vs builder {layersB}");
        }
    }

    private static string CreatedBy(JsonNode? entry) => entry?["created_by"]?.GetValue<string>() ?? "";

    private static bool Empty(JsonNode? entry) => entry?["empty_layer"]?.GetValue<bool>() ?? false;
}
