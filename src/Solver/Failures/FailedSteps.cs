using System.Text.Json;
using Builder.Snapshotter;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Metadata;
using Builder.Solver.Definition;
using Builder.Solver.Execution;
using Builder.Solver.Progress;

namespace Builder.Solver.Failures;

/// <summary>
/// Failed steps kept for debugging: the writable layer as it was when the process ended,
/// committed under <c>failed/ID</c> (a name no cache lookup ever uses), with the exact command,
/// environment (without secrets), user, working directory and network it ran with.
/// </summary>
public sealed class FailedSteps
{
    /// <summary>How long a kept state lives unless told otherwise.</summary>
    public static readonly TimeSpan DefaultKeepFor = TimeSpan.FromHours(24);

    private readonly DataRoot _root;
    private TimeSpan _keepFor = DefaultKeepFor;

    public FailedSteps(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        root.Metadata.Execute("""
            CREATE TABLE IF NOT EXISTS failed_steps (
                id TEXT PRIMARY KEY, created INTEGER NOT NULL, build_id TEXT NOT NULL, snapshot TEXT NOT NULL,
                parent TEXT, name TEXT NOT NULL, source_file TEXT, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL,
                exit_code INTEGER, signal INTEGER, command TEXT NOT NULL, env TEXT NOT NULL, user TEXT NOT NULL,
                workdir TEXT NOT NULL, network TEXT NOT NULL, mounts TEXT NOT NULL, log_path TEXT);
            """);
        // Rows written before expiry existed lack these columns: add them (such rows expire at once).
        var columns = root.Metadata.Run(c =>
        {
            using var cmd = c.Command("SELECT name FROM pragma_table_info('failed_steps')", null);
            using var r = cmd.ExecuteReader();
            var names = new HashSet<string>(StringComparer.Ordinal);
            while (r.Read())
            {
                names.Add(r.GetString(0));
            }
            return names;
        });
        if (!columns.Contains("expires"))
        {
            root.Metadata.Execute("ALTER TABLE failed_steps ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;");
        }
        if (!columns.Contains("lease"))
        {
            root.Metadata.Execute("ALTER TABLE failed_steps ADD COLUMN lease TEXT;");
        }
    }

    /// <summary>How long a newly kept state lives before the next build or <c>builder prune</c> removes it (24 h unless set).</summary>
    public TimeSpan KeepFor
    {
        get => _keepFor;
        set => _keepFor = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "KeepFor must be positive");
    }

    /// <summary>Commits the active snapshot as a kept failed state and records how it ran; returns the id.</summary>
    internal string Keep(string activeKey, string? parent, StepContext step, ExecOp op, IReadOnlyList<string> env, string network, StepFailure failure)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var snapshot = "failed/" + id;
        _root.Snapshots.Commit(snapshot, activeKey, new Dictionary<string, string> { ["builder.failed"] = id });
        // Nothing references failed/ID, so GC would take it at once: a lease protects it (and its parents) until it expires.
        var created = DateTimeOffset.UtcNow;
        var lease = _root.Gc.CreateLease(_keepFor);
        lease.Add(ResourceKind.Snapshot, snapshot);
        var mounts = JsonSerializer.Serialize(op.Mounts.Where(m => m.Type is MountType.Cache).Select(m => m.Target + "=" + (m.CacheId ?? m.Target)).ToArray(), FailureJson.Default.StringArray);
        _root.Metadata.Run(c => c.Exec(
            """
            INSERT INTO failed_steps(id,created,build_id,snapshot,parent,name,source_file,start_line,end_line,exit_code,signal,command,env,user,workdir,network,mounts,log_path,expires,lease)
            VALUES($id,$t,$b,$s,$p,$n,$f,$sl,$el,$x,$sig,$cmd,$env,$u,$w,$net,$m,$log,$exp,$lease)
            """, null,
            ("$id", id), ("$t", created.ToUnixTimeMilliseconds()), ("$exp", created.Add(_keepFor).ToUnixTimeMilliseconds()), ("$lease", lease.Id), ("$b", step.BuildId), ("$s", snapshot), ("$p", parent),
            ("$n", step.Vertex.Description.Name), ("$f", failure.SourceFile), ("$sl", failure.StartLine), ("$el", failure.EndLine),
            ("$x", failure.ExitCode), ("$sig", failure.Signal),
            ("$cmd", JsonSerializer.Serialize(op.Args.ToArray(), FailureJson.Default.StringArray)),
            ("$env", JsonSerializer.Serialize(env.ToArray(), FailureJson.Default.StringArray)),
            ("$u", op.User), ("$w", op.WorkingDir), ("$net", network), ("$m", mounts), ("$log", failure.LogPath)));
        return id;
    }

    /// <summary>How many failed states are kept.</summary>
    public long Count() => _root.Metadata.Run(c => (long)c.Scalar("SELECT count(*) FROM failed_steps", null)!);

    /// <summary>Every kept failed state, newest first.</summary>
    public IReadOnlyList<FailedStepRecord> List() => Query("SELECT " + Columns + " FROM failed_steps ORDER BY created DESC", []);

    /// <summary>
    /// The kept state whose id is <paramref name="idOrPrefix"/> or starts with it. Throws <see cref="KeyNotFoundException"/>
    /// when none matches and <see cref="AmbiguousFailureIdException"/> when several do.
    /// </summary>
    public FailedStepRecord Find(string idOrPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(idOrPrefix);
        var matches = Query("SELECT " + Columns + " FROM failed_steps WHERE substr(id, 1, length($p)) = $p ORDER BY created DESC", [("$p", idOrPrefix)]);
        var exact = matches.FirstOrDefault(m => m.Id == idOrPrefix);
        return exact ?? matches.Count switch
        {
            0 => throw new KeyNotFoundException($"no kept failed step has the id {idOrPrefix} (see builder debug ls; kept states expire, and builder prune removes them)"),
            1 => matches[0],
            _ => throw new AmbiguousFailureIdException($"the id {idOrPrefix} matches {matches.Count} kept failed steps ({string.Join(", ", matches.Select(m => m.Id))}); give more characters"),
        };
    }

    /// <summary>
    /// Removes a kept state: its record, its lease and its snapshot (unless an image committed from it still
    /// builds on it; GC removes it once that image is gone).
    /// </summary>
    public void Remove(FailedStepRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var lease = _root.Metadata.Run(c => c.Scalar("SELECT lease FROM failed_steps WHERE id=$i", null, ("$i", record.Id)) as string);
        _root.Metadata.Run(c => c.Exec("DELETE FROM failed_steps WHERE id=$i", null, ("$i", record.Id)));
        if (lease is not null)
        {
            _root.Metadata.Run(c => c.Exec("DELETE FROM lease_resources WHERE lease_id=$l; DELETE FROM leases WHERE id=$l", null, ("$l", lease)));
        }
        try
        {
            _root.Snapshots.Remove(record.Snapshot);
        }
        catch (KeyNotFoundException)
        {
            // Already collected.
        }
        catch (InvalidOperationException)
        {
            // Parent of a committed snapshot (debug shell --commit): the image keeps it; GC takes it later.
        }
    }

    /// <summary>Removes every kept state that expired before <paramref name="now"/>; returns how many.</summary>
    public int RemoveExpired(DateTimeOffset now)
    {
        var expired = Query("SELECT " + Columns + " FROM failed_steps WHERE expires <= $now", [("$now", now.ToUnixTimeMilliseconds())]);
        foreach (var record in expired)
        {
            Remove(record);
        }
        return expired.Count;
    }

    private const string Columns = "id,created,expires,build_id,snapshot,parent,name,source_file,start_line,end_line,exit_code,signal,command,env,user,workdir,network,mounts,log_path";

    private List<FailedStepRecord> Query(string sql, (string Name, object? Value)[] parameters) => _root.Metadata.Run(c =>
    {
        using var cmd = c.Command(sql, null, parameters);
        using var r = cmd.ExecuteReader();
        var list = new List<FailedStepRecord>();
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        int? Number(int i) => r.IsDBNull(i) ? null : r.GetInt32(i);
        string[] Array(int i) => JsonSerializer.Deserialize(r.GetString(i), FailureJson.Default.StringArray) ?? [];
        while (r.Read())
        {
            list.Add(new FailedStepRecord
            {
                Id = r.GetString(0),
                Created = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(1)),
                Expires = DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
                BuildId = r.GetString(3),
                Snapshot = r.GetString(4),
                Parent = Text(5),
                Name = r.GetString(6),
                SourceFile = Text(7),
                StartLine = r.GetInt32(8),
                EndLine = r.GetInt32(9),
                ExitCode = Number(10),
                Signal = Number(11),
                Command = Array(12),
                Env = Array(13),
                User = r.GetString(14),
                WorkingDir = r.GetString(15),
                Network = r.GetString(16),
                CacheMounts = Array(17),
                LogPath = Text(18),
            });
        }
        return list;
    });
}

/// <summary>An id prefix names more than one kept failed step.</summary>
public sealed class AmbiguousFailureIdException(string message) : Exception(message);

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]), TypeInfoPropertyName = "StringArray")]
internal sealed partial class FailureJson : System.Text.Json.Serialization.JsonSerializerContext;
