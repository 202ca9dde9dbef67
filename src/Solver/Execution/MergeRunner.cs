using Builder.Snapshotter.FileOps;

namespace Builder.Solver.Execution;

/// <summary>
/// Runs a merge (COPY --link): the second input's files are stacked on the first as a new layer,
/// without rerunning anything. The linked layer was built on an empty filesystem, so it holds
/// only added files and a copy gives exactly its content.
/// </summary>
internal static class MergeRunner
{
    public static string Run(StepContext step, CancellationToken cancellationToken)
    {
        var parent = step.Inputs[0].Snapshot;
        using var workspace = new Workspace(step.Root);
        var (activeKey, target, tree) = workspace.MountWritable(parent);
        for (var i = 1; i < step.Inputs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (step.Inputs[i].Snapshot is not { } layer)
            {
                continue;
            }
            var source = workspace.MountView(layer);
            using var files = new FileOperations(target);
            files.Copy(new CopyRequest { SourceRoot = source, Sources = ["/"], Destination = "/", SourceIsContext = false });
        }
        tree.Dispose();
        var committed = "step/" + Guid.NewGuid().ToString("N");
        step.Root.Snapshots.Commit(committed, activeKey);
        workspace.Release(activeKey);
        return committed;
    }
}
