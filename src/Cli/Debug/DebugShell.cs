using System.Security.Cryptography;
using System.Text;
using Builder.Cli.Build;
using Builder.Cli.Containers;
using Builder.Engine;
using Builder.Exporter.Store;
using Builder.Oci.Image;
using Builder.Oci.References;

namespace Builder.Cli.Debug;

/// <summary>How <c>builder debug shell</c> runs.</summary>
internal sealed record DebugShellOptions
{
    /// <summary>Enter the state before the step ran instead of after.</summary>
    public bool Before { get; init; }

    /// <summary>The program (argv) to run; a shell by default.</summary>
    public IReadOnlyList<string> Command { get; init; } = ["/bin/sh"];

    public NetworkMode Network { get; init; } = NetworkMode.None;

    /// <summary>Save the changes as this image in the local store; null discards them.</summary>
    public ImageReference? Commit { get; init; }

    public SecretArguments? Secrets { get; init; }
}

/// <summary>
/// Runs a program in a throwaway container over a debug target's state with the step's environment, user,
/// working directory and cache mounts: interactively on the caller's terminal when there is one. Changes
/// are discarded, or with <see cref="DebugShellOptions.Commit"/> stored as an image.
/// </summary>
internal static class DebugShell
{
    public static async Task<int> RunAsync(CliContext cli, ImageStore images, DebugTarget target, DebugShellOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var root = images.Root;
        var state = options.Before ? target.Before : target.After;
        using var container = SnapshotContainer.Create(root, state, "debug");
        var secretsDir = Path.Combine(root.Path, "tmp", "debug-secrets-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var mounts = CacheMountsOf(root.Path, target).ToList();
            mounts.AddRange(await WriteSecretsAsync(secretsDir, options.Secrets, cancellationToken).ConfigureAwait(false));
            var tty = ReferenceEquals(cli, CliContext.Console) && !Console.IsInputRedirected && !Console.IsOutputRedirected;
            var exit = await container.RunAsync(cli, new ContainerSpec
            {
                RootFs = container.RootFs,
                Args = options.Command,
                Env = target.Env,
                User = target.User,
                WorkingDir = target.WorkingDir,
                Network = options.Network,
                Mounts = mounts,
            }, interactive: true, tty, cancellationToken).ConfigureAwait(false);
            if (exit.Failure is { } failure)
            {
                cli.Error.WriteLine($"error: {string.Join(" ", options.Command)} could not start in {target.Label}: {failure.Message}");
                return ExitCodes.Failure;
            }
            if (options.Commit is { } name)
            {
                var image = CommitImage(images, container, target, options, name);
                cli.Error.WriteLine($"committed the changes as {name} ({image.ConfigDigest})");
            }
            return exit.ExitCode;
        }
        finally
        {
            if (Directory.Exists(secretsDir))
            {
                Directory.Delete(secretsDir, recursive: true);
            }
        }
    }

    /// <summary>The step's cache mounts (TARGET=ID), bound from the data root's cache-mounts/ folder as the build does.</summary>
    public static IEnumerable<ContainerMount> CacheMountsOf(string dataRoot, DebugTarget target)
    {
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

    private static async Task<List<ContainerMount>> WriteSecretsAsync(string dir, SecretArguments? secrets, CancellationToken cancellationToken)
    {
        var mounts = new List<ContainerMount>();
        if (secrets is null)
        {
            return mounts;
        }
        foreach (var id in secrets.Ids)
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

    private static StoredImage CommitImage(ImageStore images, SnapshotContainer container, DebugTarget target, DebugShellOptions options, ImageReference name)
    {
        var snapshot = "debug-commit/" + Guid.NewGuid().ToString("N");
        container.Commit(snapshot);
        var chain = new List<string>();
        for (var key = snapshot; key is not null; key = images.Root.Snapshots.Stat(key).Parent)
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
                Env = target.Env,
                User = target.User.Length == 0 ? null : target.User,
                WorkingDir = target.WorkingDir,
                Cmd = options.Command,
            },
        };
        return new StoreExporter(images).Export(chain, snapshot, config, [name]);
    }
}
