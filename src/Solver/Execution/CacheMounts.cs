using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Builder.Snapshotter;
using Builder.Snapshotter.FileOps;
using Builder.Solver.Definition;

namespace Builder.Solver.Execution;

/// <summary>
/// RUN --mount=type=cache directories: kept under the data root's cache-mounts/ folder across
/// builds, never part of a layer. Sharing follows BuildKit: shared mounts are used by everyone at
/// once, locked ones one step at a time, and a private one gives a concurrent user a fresh folder.
/// </summary>
internal sealed class CacheMounts
{
    private readonly DataRoot _root;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<string, int> _users = new();

    public CacheMounts(DataRoot root) => _root = root;

    /// <summary>The host folder to bind for <paramref name="mount"/>, held until the workspace is disposed.</summary>
    public async Task<string> AcquireAsync(StepContext step, Workspace workspace, Mount mount, VertexResult? seed, CancellationToken cancellationToken)
    {
        var id = mount.CacheId ?? mount.Target;
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..32];
        var folder = Path.Combine(_root.Path, "cache-mounts", name);
        switch (mount.Sharing)
        {
            case CacheSharing.Locked:
            {
                var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                workspace.OnDispose(() => gate.Release());
                break;
            }
            case CacheSharing.Private:
            {
                var users = _users.AddOrUpdate(name, 1, (_, n) => n + 1);
                workspace.OnDispose(() => _users.AddOrUpdate(name, 0, (_, n) => n - 1));
                if (users > 1)
                {
                    folder = workspace.NewFolder("cache-private");
                    Initialize(folder, step, workspace, mount, seed);
                    return folder;
                }
                break;
            }
        }
        if (!Directory.Exists(folder))
        {
            var staging = folder + ".new-" + Guid.NewGuid().ToString("N")[..8];
            Directory.CreateDirectory(staging);
            Initialize(staging, step, workspace, mount, seed);
            try
            {
                Directory.Move(staging, folder);
            }
            catch (IOException) when (Directory.Exists(folder))
            {
                Directory.Delete(staging, recursive: true); // another step made it first
            }
        }
        return folder;
    }

    private static void Initialize(string folder, StepContext step, Workspace workspace, Mount mount, VertexResult? seed)
    {
        File.SetUnixFileMode(folder, (UnixFileMode)(mount.Mode ?? 0x1ED /* 0755 */));
        if (mount.Uid is not null || mount.Gid is not null)
        {
            Interop.Chown(folder, mount.Uid ?? 0, mount.Gid ?? 0);
        }
        if (seed is null)
        {
            return;
        }
        // from=: the cache starts as a copy of that source's path.
        var sourceRoot = seed.HostDirectory ?? workspace.MountView(seed.Snapshot);
        using var files = new FileOperations(folder);
        files.Copy(new CopyRequest
        {
            SourceRoot = sourceRoot,
            Sources = [mount.Source.Length == 0 ? "/" : mount.Source],
            Destination = "/",
            SourceIsContext = false,
        });
    }
}
