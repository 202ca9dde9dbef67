using System.Text.Json;
using Builder.Snapshotter;
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
    private readonly DataRoot _root;

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
    }

    /// <summary>Commits the active snapshot as a kept failed state and records how it ran; returns the id.</summary>
    internal string Keep(string activeKey, string? parent, StepContext step, ExecOp op, IReadOnlyList<string> env, string network, StepFailure failure)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var snapshot = "failed/" + id;
        _root.Snapshots.Commit(snapshot, activeKey, new Dictionary<string, string> { ["builder.failed"] = id });
        var mounts = JsonSerializer.Serialize(op.Mounts.Where(m => m.Type is MountType.Cache).Select(m => m.Target + "=" + (m.CacheId ?? m.Target)).ToArray(), FailureJson.Default.StringArray);
        _root.Metadata.Run(c => c.Exec(
            """
            INSERT INTO failed_steps(id,created,build_id,snapshot,parent,name,source_file,start_line,end_line,exit_code,signal,command,env,user,workdir,network,mounts,log_path)
            VALUES($id,$t,$b,$s,$p,$n,$f,$sl,$el,$x,$sig,$cmd,$env,$u,$w,$net,$m,$log)
            """, null,
            ("$id", id), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("$b", step.BuildId), ("$s", snapshot), ("$p", parent),
            ("$n", step.Vertex.Description.Name), ("$f", failure.SourceFile), ("$sl", failure.StartLine), ("$el", failure.EndLine),
            ("$x", failure.ExitCode), ("$sig", failure.Signal),
            ("$cmd", JsonSerializer.Serialize(op.Args.ToArray(), FailureJson.Default.StringArray)),
            ("$env", JsonSerializer.Serialize(env.ToArray(), FailureJson.Default.StringArray)),
            ("$u", op.User), ("$w", op.WorkingDir), ("$net", network), ("$m", mounts), ("$log", failure.LogPath)));
        return id;
    }

    /// <summary>How many failed states are kept.</summary>
    public long Count() => _root.Metadata.Run(c => (long)c.Scalar("SELECT count(*) FROM failed_steps", null)!);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]), TypeInfoPropertyName = "StringArray")]
internal sealed partial class FailureJson : System.Text.Json.Serialization.JsonSerializerContext;
