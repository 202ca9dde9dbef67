using System.Security.Cryptography;
using System.Text;
using Builder.Engine;
using Builder.Exporter.Store;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Solver;

namespace Builder.Build.Debug;

/// <summary>How <c>builder debug shell</c> runs.</summary>
public sealed record DebugShellOptions
{
    /// <summary>Enter the state before the step ran instead of after.</summary>
    public bool Before { get; init; }

    /// <summary>The program (argv) to run; a shell by default.</summary>
    public IReadOnlyList<string> Command { get; init; } = ["/bin/sh"];

    public NetworkMode Network { get; init; } = NetworkMode.None;

    /// <summary>Run as <c>RUN --security=insecure</c> does (<see cref="ContainerSpec.Privileged"/>); the caller checks the entitlement.</summary>
    public bool Privileged { get; init; }

    /// <summary>Save the changes as this image in the store; null discards them.</summary>
    public ImageReference? Commit { get; init; }

    /// <summary>The ids of the secrets given again for the shell (mounted at /run/secrets/ID), read from <see cref="Secrets"/>.</summary>
    public IReadOnlyCollection<string> SecretIds { get; init; } = [];

    public ISecretSource? Secrets { get; init; }
}

/// <summary>
/// The container of a <c>builder debug shell</c> or <c>rerun</c>, on this machine or on a build server: a
/// throwaway <see cref="SnapshotContainer"/> over the target's state and the <see cref="ContainerSpec"/> that
/// runs in it with the step's environment, user, working directory and cache mounts (and, for a shell, the
/// secrets given again, written to a private folder removed at Dispose). The caller runs <see cref="Spec"/>
/// with its own stdio: a terminal here, or a stream to the client there.
/// </summary>
public sealed class DebugContainer : IDisposable
{
    private readonly ImageStore _images;
    private readonly SnapshotContainer _container;
    private readonly string? _secretsDir;
    private readonly DebugTarget _target;

    private DebugContainer(ImageStore images, SnapshotContainer container, string? secretsDir, DebugTarget target, ContainerSpec spec)
    {
        _images = images;
        _container = container;
        _secretsDir = secretsDir;
        _target = target;
        Spec = spec;
    }

    /// <summary>What to run: its RootFs is this container's.</summary>
    public ContainerSpec Spec { get; }

    /// <summary>A shell (or <see cref="DebugShellOptions.Command"/>) over the target's state after (or before) the step.</summary>
    public static async Task<DebugContainer> ForShellAsync(ImageStore images, DebugTarget target, DebugShellOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var root = images.Root;
        var container = SnapshotContainer.Create(root, options.Before ? target.Before : target.After, "debug");
        var secretsDir = Path.Combine(root.Path, "tmp", "debug-secrets-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var mounts = CacheMountsOf(root.Path, target).ToList();
            mounts.AddRange(await WriteSecretsAsync(secretsDir, options, cancellationToken).ConfigureAwait(false));
            return new DebugContainer(images, container, secretsDir, target, new ContainerSpec
            {
                RootFs = container.RootFs,
                Args = options.Command,
                Env = target.Env,
                User = target.User,
                WorkingDir = target.WorkingDir,
                Network = options.Network,
                Privileged = options.Privileged,
                Mounts = mounts,
            });
        }
        catch
        {
            RemoveSecrets(secretsDir);
            container.Dispose();
            throw;
        }
    }

    /// <summary>A kept failed step's command again, exactly as it ran, in a fresh copy of the state before it.</summary>
    public static DebugContainer ForRerun(ImageStore images, DebugTarget target, NetworkMode network)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(target);
        var failure = target.Failure ?? throw new DebugTargetException($"{target.Label} is not a failed step: only a failed step's command can be re-run");
        var container = SnapshotContainer.Create(images.Root, target.Before, "rerun");
        try
        {
            return new DebugContainer(images, container, null, target, new ContainerSpec
            {
                RootFs = container.RootFs,
                Args = failure.Command,
                Env = target.Env,
                User = target.User,
                WorkingDir = target.WorkingDir,
                Network = network,
                Mounts = CacheMountsOf(images.Root.Path, target).ToList(),
            });
        }
        catch
        {
            container.Dispose();
            throw;
        }
    }

    /// <summary>The step's cache mounts (TARGET=ID), bound from the data root's cache-mounts/ folder as the build does.</summary>
    public static IEnumerable<ContainerMount> CacheMountsOf(string dataRoot, DebugTarget target)
    {
        ArgumentNullException.ThrowIfNull(dataRoot);
        ArgumentNullException.ThrowIfNull(target);
        foreach (var entry in target.Failure?.CacheMounts ?? [])
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            var mountTarget = eq < 0 ? entry : entry[..eq];
            var id = eq < 0 ? entry : entry[(eq + 1)..];
            var folder = Path.Combine(dataRoot, "cache-mounts", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32]);
            Directory.CreateDirectory(folder);
            yield return new BindMount(folder, mountTarget);
        }
    }

    /// <summary>Commits the container's changes (after its process ended) as image <paramref name="name"/> in the store.</summary>
    public StoredImage Commit(ImageReference name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var snapshot = "debug-commit/" + Guid.NewGuid().ToString("N");
        _container.Commit(snapshot);
        var chain = new List<string>();
        for (var key = snapshot; key is not null; key = _images.Root.Snapshots.Stat(key).Parent)
        {
            chain.Add(key);
        }
        chain.Reverse();
        var config = new ImageConfig
        {
            Created = DateTimeOffset.UtcNow,
            Architecture = Platform.Host.Architecture,
            Os = Platform.Host.Os,
            Config = new ContainerConfig
            {
                Env = _target.Env,
                User = _target.User.Length == 0 ? null : _target.User,
                WorkingDir = _target.WorkingDir,
                Cmd = Spec.Args,
            },
        };
        return new StoreExporter(_images).Export(chain, snapshot, config, [name]);
    }

    public void Dispose()
    {
        RemoveSecrets(_secretsDir);
        _container.Dispose();
    }

    private static async Task<List<ContainerMount>> WriteSecretsAsync(string dir, DebugShellOptions options, CancellationToken cancellationToken)
    {
        var mounts = new List<ContainerMount>();
        if (options.Secrets is not { } secrets)
        {
            return mounts;
        }
        foreach (var id in options.SecretIds)
        {
            var value = await secrets.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (value is null)
            {
                continue;
            }
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var file = Path.Combine(dir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..16]);
            await using (var stream = new FileStream(file, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                await stream.WriteAsync(value, cancellationToken).ConfigureAwait(false);
            }
            mounts.Add(new BindMount(file, "/run/secrets/" + id, ReadOnly: true));
        }
        return mounts;
    }

    private static void RemoveSecrets(string? dir)
    {
        if (dir is not null && Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
