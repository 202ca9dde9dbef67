using Builder.Snapshotter;
using Builder.Snapshotter.Metadata;
using Builder.Solver.Progress;

namespace Builder.Solver.History;

/// <summary>One step of a recorded build.</summary>
public sealed record BuildStepRecord(int Number, string Name, VertexState State, TimeSpan? Duration, string? Snapshot, string? FailedStateId);

/// <summary>One recorded build: when, from which Dockerfile, how it ended.</summary>
public sealed record BuildRecord(string Id, DateTimeOffset Started, string? SourceFile, string Status, IReadOnlyList<string> Names);

/// <summary>
/// Every build's steps in metadata.db, for <c>builder history</c> and <c>builder debug shell --step</c>:
/// what each step was, whether it ran or came from the cache, how long it took and which snapshot
/// holds its result.
/// </summary>
public sealed class BuildHistory
{
    private readonly DataRoot _root;

    public BuildHistory(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        root.Metadata.Execute("""
            CREATE TABLE IF NOT EXISTS builds (
                id TEXT PRIMARY KEY, started INTEGER NOT NULL, source_file TEXT, status TEXT NOT NULL, names TEXT NOT NULL DEFAULT '');
            CREATE TABLE IF NOT EXISTS build_steps (
                build_id TEXT NOT NULL REFERENCES builds(id) ON DELETE CASCADE, number INTEGER NOT NULL, name TEXT NOT NULL,
                state TEXT NOT NULL, duration_ms INTEGER, snapshot TEXT, failed_state TEXT, PRIMARY KEY (build_id, number));
            """);
    }

    public void Start(string buildId, string? sourceFile) =>
        _root.Metadata.Run(c => c.Exec("INSERT OR IGNORE INTO builds(id,started,source_file,status) VALUES($i,$t,$f,'running')", null,
            ("$i", buildId), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("$f", sourceFile)));

    public void Step(string buildId, BuildStepRecord step) =>
        _root.Metadata.Run(c => c.Exec(
            "INSERT INTO build_steps(build_id,number,name,state,duration_ms,snapshot,failed_state) VALUES($b,$n,$name,$s,$d,$snap,$f) " +
            "ON CONFLICT(build_id,number) DO UPDATE SET state=$s, duration_ms=$d, snapshot=$snap, failed_state=$f", null,
            ("$b", buildId), ("$n", step.Number), ("$name", step.Name), ("$s", step.State.ToString()),
            ("$d", step.Duration is { } d ? (long)d.TotalMilliseconds : null), ("$snap", step.Snapshot), ("$f", step.FailedStateId)));

    public void Finish(string buildId, string status, IReadOnlyList<string>? names = null) =>
        _root.Metadata.Run(c => c.Exec("UPDATE builds SET status=$s, names=$n WHERE id=$i", null,
            ("$i", buildId), ("$s", status), ("$n", string.Join(",", names ?? []))));

    /// <summary>Recent builds, newest first.</summary>
    public IReadOnlyList<BuildRecord> Builds(int limit = 50) => _root.Metadata.Run(c =>
    {
        using var cmd = c.Command("SELECT id, started, source_file, status, names FROM builds ORDER BY started DESC LIMIT $l", null, ("$l", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<BuildRecord>();
        while (r.Read())
        {
            list.Add(new BuildRecord(r.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                r.GetString(4).Split(',', StringSplitOptions.RemoveEmptyEntries)));
        }
        return list;
    });

    /// <summary>The steps of a build by its id or an unambiguous prefix (the newest build when null).</summary>
    public (BuildRecord Build, IReadOnlyList<BuildStepRecord> Steps)? Find(string? idOrPrefix)
    {
        var build = Builds(1000).FirstOrDefault(b => idOrPrefix is null || b.Id.StartsWith(idOrPrefix, StringComparison.Ordinal));
        if (build is null)
        {
            return null;
        }
        var steps = _root.Metadata.Run(c =>
        {
            using var cmd = c.Command("SELECT number, name, state, duration_ms, snapshot, failed_state FROM build_steps WHERE build_id=$b ORDER BY number", null, ("$b", build.Id));
            using var r = cmd.ExecuteReader();
            var list = new List<BuildStepRecord>();
            while (r.Read())
            {
                list.Add(new BuildStepRecord(r.GetInt32(0), r.GetString(1), Enum.Parse<VertexState>(r.GetString(2)),
                    r.IsDBNull(3) ? null : TimeSpan.FromMilliseconds(r.GetInt64(3)), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
            }
            return list;
        });
        return (build, steps);
    }
}
