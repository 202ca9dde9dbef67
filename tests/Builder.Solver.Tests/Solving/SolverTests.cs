using Builder.Solver.Execution;
using Builder.Solver.Progress;

namespace Builder.Solver.Tests.Solving;

public sealed class SolverTests : IDisposable
{
    private readonly SolverFixture _f = new();

    public void Dispose() => _f.Dispose();

    private const string Dockerfile = """
        FROM busybox
        COPY a.txt /a.txt
        RUN cat /a.txt > /from-a && echo ran-a
        COPY b.txt /b.txt
        RUN cat /b.txt > /from-b && echo ran-b
        """;

    [Fact]
    public async Task Runs_steps_and_keeps_their_files_in_the_result()
    {
        _f.WriteContext("a.txt", "alpha");
        _f.WriteContext("b.txt", "beta");
        var (result, progress) = await _f.BuildAsync(Dockerfile);
        Assert.Equal("alpha", _f.ReadFile(result.TopSnapshot!, "from-a"));
        Assert.Equal("beta", _f.ReadFile(result.TopSnapshot!, "from-b"));
        Assert.Contains("ran-a", progress.Log());
        // base + 4 layers, bottom first
        Assert.Equal(5, result.Layers.Count);
        Assert.Equal("test/busybox", result.Layers[0]);
        Assert.Equal(result.TopSnapshot, result.Layers[^1]);
    }

    [Fact]
    public async Task Second_build_is_entirely_cached_and_runs_nothing()
    {
        _f.WriteContext("a.txt", "alpha");
        _f.WriteContext("b.txt", "beta");
        var (first, _) = await _f.BuildAsync(Dockerfile);
        var (second, progress) = await _f.BuildAsync(Dockerfile);
        Assert.Equal(first.TopSnapshot, second.TopSnapshot);
        Assert.Equal(0, second.Statistics.Ran);
        Assert.Equal(4, second.Statistics.Cached);
        Assert.DoesNotContain("ran-", progress.Log());
    }

    [Fact]
    public async Task Changing_one_context_file_reruns_only_the_steps_that_read_it_and_after()
    {
        _f.WriteContext("a.txt", "alpha");
        _f.WriteContext("b.txt", "beta");
        await _f.BuildAsync(Dockerfile);
        _f.WriteContext("b.txt", "BETA");
        var (result, progress) = await _f.BuildAsync(Dockerfile);
        var finals = progress.Finals();
        Assert.Equal(VertexState.Cached, finals.Single(f => f.Key.Contains("COPY a.txt")).Value);
        Assert.Equal(VertexState.Cached, finals.Single(f => f.Key.Contains("RUN cat /a.txt")).Value);
        Assert.Equal(VertexState.Done, finals.Single(f => f.Key.Contains("COPY b.txt")).Value);
        Assert.Equal(VertexState.Done, finals.Single(f => f.Key.Contains("RUN cat /b.txt")).Value);
        Assert.Equal("BETA", _f.ReadFile(result.TopSnapshot!, "from-b"));
    }

    [Fact]
    public async Task Touching_a_file_without_changing_it_keeps_the_cache()
    {
        var path = _f.WriteContext("a.txt", "alpha");
        _f.WriteContext("b.txt", "beta");
        await _f.BuildAsync(Dockerfile);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(5));
        var (second, _) = await _f.BuildAsync(Dockerfile);
        Assert.Equal(0, second.Statistics.Ran);
    }

    [Fact]
    public async Task History_records_each_step_with_its_state_and_snapshot()
    {
        _f.WriteContext("a.txt", "alpha");
        _f.WriteContext("b.txt", "beta");
        var (first, _) = await _f.BuildAsync(Dockerfile);
        var (second, _) = await _f.BuildAsync(Dockerfile);
        var recorded = _f.Solver.History.Find(second.BuildId);
        Assert.NotNull(recorded);
        Assert.Equal("solved", recorded.Value.Build.Status);
        var steps = recorded.Value.Steps;
        Assert.All(steps.Where(s => s.Name.Contains("RUN") || s.Name.Contains("COPY")), s => Assert.Equal(VertexState.Cached, s.State));
        Assert.Equal(second.TopSnapshot, steps.Single(s => s.Name.Contains("RUN cat /b.txt")).Snapshot);
        Assert.Equal(2, _f.Solver.History.Builds().Count);
        Assert.Equal(first.BuildId, _f.Solver.History.Builds()[1].Id);
    }

    [Fact]
    public async Task No_cache_runs_everything_again()
    {
        _f.WriteContext("a.txt", "alpha");
        _f.WriteContext("b.txt", "beta");
        await _f.BuildAsync(Dockerfile);
        var (second, progress) = await _f.BuildAsync(Dockerfile, new SolveOptions { NoCache = true });
        Assert.Equal(4, second.Statistics.Ran);
        Assert.Contains("ran-b", progress.Log());
    }

    [Fact]
    public async Task A_failing_run_reports_exit_code_output_and_keeps_its_state()
    {
        var e = await Assert.ThrowsAsync<StepFailedException>(() => _f.BuildAsync("""
            FROM busybox
            RUN echo before > /written && echo line-one && echo line-two && exit 3
            """));
        Assert.Equal(3, e.Failure.ExitCode);
        Assert.Equal(2, e.Failure.StartLine);
        Assert.Contains("RUN echo before", e.Failure.SourceLines[0]);
        Assert.Equal(["line-one", "line-two"], e.Failure.LastLines);
        Assert.True(File.Exists(e.Failure.LogPath));
        Assert.NotNull(e.Failure.KeptStateId);
        Assert.Equal("before\n", _f.ReadFile("failed/" + e.Failure.KeptStateId, "written"));
        Assert.Equal(1, _f.Solver.Failures.Count());
        // The failed step is not a cache record: the same Dockerfile runs it again.
        var again = await Assert.ThrowsAsync<StepFailedException>(() => _f.BuildAsync("""
            FROM busybox
            RUN echo before > /written && echo line-one && echo line-two && exit 3
            """));
        Assert.NotEqual(e.Failure.KeptStateId, again.Failure.KeptStateId);
    }

    [Fact]
    public async Task A_missing_copy_source_names_the_closest_paths()
    {
        _f.WriteContext("config/settings.json", "{}");
        var e = await Assert.ThrowsAsync<StepFailedException>(() => _f.BuildAsync("""
            FROM busybox
            COPY config/setings.json /etc/
            """));
        Assert.Contains("config/setings.json", e.Failure.Message);
        Assert.Contains("config/settings.json", e.Failure.Message);
        Assert.Equal(2, e.Failure.StartLine);
    }

    [Fact]
    public async Task Independent_stages_run_in_parallel()
    {
        var (result, progress) = await _f.BuildAsync("""
            FROM busybox AS a
            RUN sleep 1 && echo a > /a
            FROM busybox AS b
            RUN sleep 1 && echo b > /b
            FROM busybox
            COPY --from=a /a /a
            COPY --from=b /b /b
            """);
        var runs = progress.Events.OfType<VertexStatus>().Where(s => s.Name.Contains("RUN sleep")).ToList();
        var startA = runs.First(s => s.Name.Contains("echo a") && s.State == VertexState.Running).Time;
        var startB = runs.First(s => s.Name.Contains("echo b") && s.State == VertexState.Running).Time;
        var endA = runs.First(s => s.Name.Contains("echo a") && s.State == VertexState.Done).Time;
        var endB = runs.First(s => s.Name.Contains("echo b") && s.State == VertexState.Done).Time;
        Assert.True(startA < endB && startB < endA, "the two stages' RUN steps overlapped in time");
        Assert.Equal("a\n", _f.ReadFile(result.TopSnapshot!, "a"));
        Assert.Equal("b\n", _f.ReadFile(result.TopSnapshot!, "b"));
    }

    [Fact]
    public async Task Dockerignored_files_are_not_copied_and_do_not_invalidate()
    {
        _f.WriteContext("keep.txt", "keep");
        _f.WriteContext("secret.env", "TOKEN=1");
        var ignore = _f.WriteContext(".dockerignore", "secret.env\n");
        var convert = new Frontend.Conversion.ConvertOptions { ContextExcludes = ["secret.env"] };
        var (first, _) = await _f.BuildAsync("FROM busybox\nCOPY . /app\n", convert: convert);
        Assert.Equal("keep", _f.ReadFile(first.TopSnapshot!, "app/keep.txt"));
        Assert.Null(_f.ReadFile(first.TopSnapshot!, "app/secret.env"));
        _f.WriteContext("secret.env", "TOKEN=2");
        var (second, _) = await _f.BuildAsync("FROM busybox\nCOPY . /app\n", convert: convert);
        Assert.Equal(0, second.Statistics.Ran);
        Assert.True(File.Exists(ignore));
    }

    [Fact]
    public async Task Secrets_reach_the_step_but_not_the_layer_or_the_cache_key()
    {
        var secrets = new Secrets(new Dictionary<string, byte[]> { ["token"] = "s3cr3t-value"u8.ToArray() });
        var dockerfile = "FROM busybox\nRUN --mount=type=secret,id=token cat /run/secrets/token > /dev/null && test \"$(cat /run/secrets/token)\" = s3cr3t-value && echo ok > /done\n";
        var (first, _) = await _f.BuildAsync(dockerfile, new SolveOptions { Secrets = secrets });
        Assert.Equal("ok\n", _f.ReadFile(first.TopSnapshot!, "done"));
        Assert.Null(_f.ReadFile(first.TopSnapshot!, "run/secrets/token"));
        var changed = new Secrets(new Dictionary<string, byte[]> { ["token"] = "other"u8.ToArray() });
        var (second, _) = await _f.BuildAsync(dockerfile, new SolveOptions { Secrets = changed });
        Assert.Equal(0, second.Statistics.Ran);
        var db = File.ReadAllBytes(Path.Combine(_f.Root.Path, "metadata.db"));
        Assert.DoesNotContain("s3cr3t-value", System.Text.Encoding.UTF8.GetString(db));
    }

    [Fact]
    public async Task A_required_secret_that_is_missing_fails_with_how_to_pass_it()
    {
        var e = await Assert.ThrowsAsync<StepFailedException>(() => _f.BuildAsync("FROM busybox\nRUN --mount=type=secret,id=npmrc,required=true true\n"));
        Assert.Contains("--secret id=npmrc", e.Failure.Message);
    }

    [Fact]
    public async Task Cache_mounts_persist_across_builds_and_stay_out_of_layers()
    {
        var dockerfile = "FROM busybox\nRUN --mount=type=cache,target=/cache echo x >> /cache/count && wc -l < /cache/count > /seen\n";
        var (first, _) = await _f.BuildAsync(dockerfile);
        var (second, _) = await _f.BuildAsync(dockerfile, new SolveOptions { NoCache = true });
        Assert.Equal("1", _f.ReadFile(first.TopSnapshot!, "seen")!.Trim());
        Assert.Equal("2", _f.ReadFile(second.TopSnapshot!, "seen")!.Trim());
        Assert.Null(_f.ReadFile(second.TopSnapshot!, "cache/count"));
    }

    [Fact]
    public async Task Concurrent_builds_of_the_same_step_run_it_once()
    {
        var dockerfile = "FROM busybox\nRUN sleep 1 && echo once > /once\n";
        var both = await Task.WhenAll(_f.BuildAsync(dockerfile), _f.BuildAsync(dockerfile));
        Assert.Equal(both[0].Result.TopSnapshot, both[1].Result.TopSnapshot);
        Assert.Equal(1, both.Sum(b => b.Result.Statistics.Ran));
    }

    private sealed class Secrets(Dictionary<string, byte[]> values) : ISecretSource
    {
        public ValueTask<byte[]?> GetAsync(string id, CancellationToken cancellationToken) => ValueTask.FromResult(values.GetValueOrDefault(id));
    }
}
