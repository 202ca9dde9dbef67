using System.Text;
using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Paths;
using Builder.Solver.Definition;

namespace Builder.Solver.Execution;

/// <summary>
/// Runs a file op (COPY, ADD, WORKDIR, heredoc files) directly on a writable overlay snapshot,
/// without a container: sources are read in place from the context folder or from read-only
/// views of other snapshots.
/// </summary>
internal static class FileRunner
{
    public static string Run(StepContext step, FileOp op, CancellationToken cancellationToken)
    {
        var parent = op.HasBase ? step.Inputs[0].Snapshot : null;
        using var workspace = new Workspace(step.Root);
        var (activeKey, target, tree) = workspace.MountWritable(parent);
        var views = new Dictionary<int, string>();
        using (var files = new FileOperations(target))
        {
            foreach (var action in op.Actions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    Apply(step, workspace, files, action, views);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or IOException or PathEscapeException or FormatException or ArgumentException or UnauthorizedAccessException)
                {
                    throw new StepFailedException(step.Vertex.Description.Name, step.Failure(Explain(step, action, e)), e);
                }
            }
        }
        tree.Dispose();
        var committed = "step/" + Guid.NewGuid().ToString("N");
        step.Root.Snapshots.Commit(committed, activeKey);
        workspace.Release(activeKey);
        return committed;
    }

    private static void Apply(StepContext step, Workspace workspace, FileOperations files, FileAction action, Dictionary<int, string> views)
    {
        switch (action)
        {
            case CopyAction copy:
            {
                var source = step.Inputs[copy.SourceInput];
                var root = source.HostDirectory ?? (views.TryGetValue(copy.SourceInput, out var view) ? view : views[copy.SourceInput] = workspace.MountView(source.Snapshot));
                files.Copy(new CopyRequest
                {
                    SourceRoot = root,
                    Sources = [copy.Source],
                    Destination = copy.Destination,
                    SourceIsContext = source.HostDirectory is not null,
                    ContextExcludes = source.HostExcludes,
                    Chown = copy.Owner?.ToString(),
                    Chmod = copy.Chmod,
                    Excludes = copy.Excludes,
                    Parents = copy.Parents,
                    ExtractArchives = copy.AttemptUnpack,
                });
                break;
            }
            case MkdirAction mkdir:
                files.Mkdir(mkdir.Path, (uint)mkdir.Mode, mkdir.Owner?.ToString(), mkdir.MakeParents);
                break;
            case MkfileAction mkfile:
            {
                using var content = new MemoryStream(Encoding.UTF8.GetBytes(mkfile.Content));
                var mode = mkfile.Chmod is { } chmod ? FileModeSpec.Parse(chmod).Apply(0x1A4, false) : (uint)mkfile.Mode;
                files.WriteFile(mkfile.Path, content, mode, mkfile.Owner?.ToString());
                break;
            }
            case RmAction rm:
                files.Remove(rm.Path, rm.AllowNotFound);
                break;
            default:
                throw new InvalidOperationException($"file action '{action.Name}' is not supported");
        }
    }

    /// <summary>A missing source names the closest paths that do exist, as a user would look for them.</summary>
    internal static string Explain(StepContext step, FileAction action, Exception e)
    {
        if (action is CopyAction copy && e is FileNotFoundException or DirectoryNotFoundException)
        {
            var source = step.Inputs[copy.SourceInput];
            var where = source.HostDirectory is not null ? "the build context" : "the source stage or image";
            var message = $"failed to compute cache key: \"{copy.Source}\" not found in {where}";
            if (source.HostDirectory is { } dir)
            {
                var closest = ClosestPaths.Find(dir, copy.Source, source.HostExcludes);
                if (closest.Count > 0)
                {
                    message += "; closest paths in the context: " + string.Join(", ", closest);
                }
            }
            return message;
        }
        return $"{action.Name} failed: {e.Message}";
    }
}
