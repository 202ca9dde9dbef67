using System.Text;
using Builder.Engine;
using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Mounts;
using Builder.Solver.Definition;
using Builder.Solver.Failures;
using EngineNetwork = Builder.Engine.NetworkMode;
using NetworkMode = Builder.Solver.Definition.NetworkMode;

namespace Builder.Solver.Execution;

/// <summary>
/// Runs an exec op: its root input as a writable overlay snapshot, its other mounts set up as the
/// op says (bind, cache, tmpfs, secret), the process in a container of the engine; the writable
/// layer is committed on success and kept for debugging on failure.
/// </summary>
internal static class ExecRunner
{
    public static async Task<string> RunAsync(StepContext step, ExecOp op, CancellationToken cancellationToken)
    {
        var network = EffectiveNetwork(step, op);
        if (op.Security == SecurityMode.Insecure && !step.Options.AllowInsecure)
        {
            throw new StepFailedException(step.Vertex.Description.Name,
                step.Failure("RUN --security=insecure needs the security.insecure entitlement: build with --allow security.insecure"));
        }
        var rootMount = op.Mounts.FirstOrDefault(m => m.Target == "/") ?? new Mount("/");
        var parent = rootMount.Input >= 0 ? step.Inputs[rootMount.Input] : null;
        if (parent?.HostDirectory is not null)
        {
            throw new InvalidOperationException("an exec's root cannot be a local source");
        }

        using var workspace = new Workspace(step.Root);
        var (activeKey, rootfs, rootTree) = workspace.MountWritable(parent?.Snapshot);
        var env = op.Env.ToList();
        var secretEnv = new HashSet<string>(StringComparer.Ordinal);
        var mounts = new List<ContainerMount>();
        foreach (var mount in op.Mounts.Where(m => m.Target != "/").OrderBy(m => m.Target.Count(c => c == '/')))
        {
            var prepared = await PrepareMountAsync(step, workspace, mount, env, secretEnv, cancellationToken).ConfigureAwait(false);
            if (prepared is not null)
            {
                mounts.Add(prepared);
            }
        }

        var spec = new ContainerSpec
        {
            RootFs = rootfs,
            Args = op.Args,
            Env = env,
            WorkingDir = op.WorkingDir.Length == 0 ? "/" : op.WorkingDir,
            User = op.User,
            Network = network,
            Mounts = mounts,
            Privileged = op.Security == SecurityMode.Insecure,
        };
        ContainerExit exit;
        using (var log = step.OpenLog())
        {
            await using (Writeback.Start(rootfs))
            {
                exit = await step.Executor.RunAsync(spec, new ContainerIo { Stdout = log, Stderr = log }, cancellationToken).ConfigureAwait(false);
            }
            log.Flush();
            rootTree.Dispose();
            if (!exit.Succeeded)
            {
                var failure = step.Failure(Describe(op, exit)) with
                {
                    Command = op.Args,
                    ExitCode = exit.Failure is null ? exit.ExitCode : null,
                    Signal = exit.Signal,
                    OomKilled = exit.OomKilled,
                    LastLines = log.LastLines(),
                    LogPath = log.Path,
                };
                if (step.Options.KeepFailedState)
                {
                    var id = step.Failures.Keep(activeKey, parent?.Snapshot, step, op, env.Where(e => !secretEnv.Contains(e)).ToArray(), network.ToString(), failure);
                    workspace.Release(activeKey);
                    failure = failure with { KeptStateId = id };
                }
                throw new StepFailedException(step.Vertex.Description.Name, failure);
            }
        }
        var committed = "step/" + Guid.NewGuid().ToString("N");
        step.Root.Snapshots.Commit(committed, activeKey);
        workspace.Release(activeKey);
        return committed;
    }

    private static string Describe(ExecOp op, ContainerExit exit)
    {
        var command = Quote(op.Args);
        return exit.Failure is { } start ? $"process {command} could not start: {start.Message}"
            : exit.OomKilled ? $"process {command} ran out of memory (killed by the OOM killer)"
            : exit.Signal is { } signal ? $"process {command} was killed by signal {signal}"
            : $"process {command} did not complete successfully: exit code: {exit.ExitCode}";
    }

    private static string Quote(IReadOnlyList<string> args) => "\"" + string.Join(" ", args).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static EngineNetwork EffectiveNetwork(StepContext step, ExecOp op)
    {
        var mode = op.Network == NetworkMode.Default ? step.Options.DefaultNetwork : op.Network;
        if (mode == NetworkMode.Host && !step.Options.AllowNetworkHost)
        {
            throw new StepFailedException(step.Vertex.Description.Name,
                step.Failure("RUN --network=host needs the network.host entitlement: build with --allow network.host"));
        }
        return mode switch
        {
            NetworkMode.None => EngineNetwork.None,
            NetworkMode.Host => EngineNetwork.Host,
            _ => EngineNetwork.Default,

        };
    }

    private static async Task<ContainerMount?> PrepareMountAsync(StepContext step, Workspace workspace, Mount mount, List<string> env, HashSet<string> secretEnv, CancellationToken cancellationToken)
    {
        switch (mount.Type)
        {
            case MountType.Bind:
            {
                var input = mount.Input >= 0 ? step.Inputs[mount.Input] : null;
                string root;
                if (input?.HostDirectory is { } host)
                {
                    // Never let a step write into the user's files: a writable bind of the context is a throwaway overlay.
                    root = mount.ReadOnly ? host : workspace.MountHostOverlay(host);
                }
                else if (mount.ReadOnly)
                {
                    root = workspace.MountView(input?.Snapshot);
                }
                else
                {
                    root = workspace.MountWritable(input?.Snapshot).Path;
                }
                var source = SourcePath.Resolve(root, mount.Source.TrimStart('/'), followFinal: true)
                    ?? throw new StepFailedException(step.Vertex.Description.Name, step.Failure($"mount source \"{mount.Source}\" for {mount.Target} does not exist"));
                return new BindMount(source, mount.Target, mount.ReadOnly);
            }
            case MountType.Cache:
            {
                var seed = mount.Input >= 0 ? step.Inputs[mount.Input] : null;
                var lease = await step.CacheMounts.AcquireAsync(step, workspace, mount, seed, cancellationToken).ConfigureAwait(false);
                return new BindMount(lease, mount.Target, mount.ReadOnly);
            }
            case MountType.Tmpfs:
                return new TmpfsMount(mount.Target, mount.TmpfsSize);
            case MountType.Secret:
            {
                var id = mount.SecretId ?? Path.GetFileName(mount.Target);
                var value = step.Options.Secrets is { } secrets ? await secrets.GetAsync(id, cancellationToken).ConfigureAwait(false) : null;
                if (value is null)
                {
                    if (mount.Required)
                    {
                        throw new StepFailedException(step.Vertex.Description.Name,
                            step.Failure($"secret \"{id}\" is required but was not provided: pass it with --secret id={id},src=FILE or --secret id={id},env=VARIABLE"));
                    }
                    return null;
                }
                if (mount.SecretEnv is { } variable)
                {
                    var entry = variable + "=" + Encoding.UTF8.GetString(value);
                    env.Add(entry);
                    secretEnv.Add(entry);
                    if (mount.Target.Length == 0 || mount.Target == "/run/secrets/" + id)
                    {
                        return null; // env= alone: no file, as BuildKit does unless a target is named
                    }
                }
                var file = Path.Combine(workspace.NewSecretFolder(), "value");
                await using (var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
                {
                    await stream.WriteAsync(value, cancellationToken).ConfigureAwait(false);
                }
                File.SetUnixFileMode(file, (UnixFileMode)(mount.Mode ?? 0x100 /* 0400 */));
                if (mount.Uid is not null || mount.Gid is not null)
                {
                    Chown(file, mount.Uid ?? 0, mount.Gid ?? 0);
                }
                workspace.OnDispose(() => File.Delete(file));
                return new BindMount(file, mount.Target, ReadOnly: true);
            }
            case MountType.Ssh:
                if (mount.Required)
                {
                    throw new StepFailedException(step.Vertex.Description.Name, step.Failure("RUN --mount=type=ssh is not supported yet"));
                }
                step.Warn("RUN --mount=type=ssh is not supported yet; the mount was skipped");
                return null;
            default:
                throw new InvalidOperationException($"unknown mount type {mount.Type}");
        }
    }

    private static void Chown(string path, int uid, int gid)
    {
        if (Interop.Chown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} to {uid}:{gid} failed");
        }
    }
}
