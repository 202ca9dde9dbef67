using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Builder.Snapshotter.Paths;

namespace Builder.Server.Context;

/// <summary>
/// The server's copies of its clients' contexts, under <c>&lt;root&gt;/server/contexts/&lt;key&gt;/</c>, one per
/// (client identity, context id): <c>tree/</c> holds the files, <c>manifest</c> the metadata last received,
/// and <c>used</c>'s mtime when a build last used it. A copy is used by one build at a time; a second build
/// of the same copy waits. <see cref="Sweep"/> removes copies not used within the time to live, and copies
/// without a manifest (a transfer that never finished: a crash, a broken client) that no build holds.
/// </summary>
internal sealed class ContextCopies(string dataRoot)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public string Directory { get; } = Path.Combine(dataRoot, "server", "contexts");

    /// <summary>Locks the copy of (<paramref name="identity"/>, <paramref name="contextId"/>) for one build.</summary>
    public async Task<ContextCopy> AcquireAsync(string identity, string contextId, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity + "\0" + contextId)))[..32];
        var gate = Gate(key);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var folder = Path.Combine(Directory, key);
            System.IO.Directory.CreateDirectory(Path.Combine(folder, "tree"));
            ContextCopyFolders.MarkUsed(folder);
            return new ContextCopy(folder, gate);
        }
        catch
        {
            gate.Release();
            throw;
        }
    }

    /// <summary>
    /// Removes every copy no build holds that was last used before <paramref name="now"/> minus <paramref name="ttl"/>
    /// (all of them with <paramref name="all"/>), and every half-received one.
    /// </summary>
    public ContextCopiesRemoved Sweep(DateTimeOffset now, TimeSpan ttl, bool all)
    {
        var removed = new ContextCopiesRemoved(0, 0);
        if (!System.IO.Directory.Exists(Directory))
        {
            return removed;
        }
        foreach (var folder in System.IO.Directory.EnumerateDirectories(Directory))
        {
            var gate = Gate(Path.GetFileName(folder));
            if (!gate.Wait(0))
            {
                continue; // a build is using it
            }
            try
            {
                removed += ContextCopyFolders.RemoveIfStale(folder, now, ttl, all);
            }
            finally
            {
                gate.Release();
            }
        }
        return removed;
    }

    /// <summary>Sweeps (not <c>all</c>) when the last sweep is an hour old or more; cheap to call after every build.</summary>
    public void SweepIfDue(DateTimeOffset now, TimeSpan ttl)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerHour || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last)
        {
            return;
        }
        Sweep(now, ttl, all: false);
    }

    // The server sweeps when it starts (BuilderServer.Create).
    private long _lastSweepTicks = DateTimeOffset.UtcNow.UtcTicks;

    private SemaphoreSlim Gate(string key) => _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
}

/// <summary>What a sweep of context copies removed.</summary>
public readonly record struct ContextCopiesRemoved(int Copies, long Bytes)
{
    public static ContextCopiesRemoved operator +(ContextCopiesRemoved a, ContextCopiesRemoved b) => new(a.Copies + b.Copies, a.Bytes + b.Bytes);
}

/// <summary>
/// The context copies a <c>builder serve</c> keeps under a data root, for <c>builder prune</c> on that data root
/// (the data root's lock means no server is using it meanwhile).
/// </summary>
public static class ContextCopyFolders
{
    /// <summary>How long a copy is kept without being used, unless <c>builder serve --context-ttl</c> says otherwise.</summary>
    public static TimeSpan DefaultTtl { get; } = TimeSpan.FromDays(7);

    /// <summary>Removes the copies under <paramref name="dataRoot"/> not used within <paramref name="ttl"/> (all with <paramref name="all"/>) and the half-received ones.</summary>
    public static ContextCopiesRemoved Prune(string dataRoot, TimeSpan ttl, bool all, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataRoot);
        var directory = Path.Combine(dataRoot, "server", "contexts");
        var removed = new ContextCopiesRemoved(0, 0);
        if (System.IO.Directory.Exists(directory))
        {
            foreach (var folder in System.IO.Directory.EnumerateDirectories(directory))
            {
                removed += RemoveIfStale(folder, now, ttl, all);
            }
        }
        return removed;
    }

    internal static void MarkUsed(string folder)
    {
        var used = Path.Combine(folder, "used");
        File.WriteAllBytes(used, []);
        File.SetLastWriteTimeUtc(used, DateTime.UtcNow);
    }

    internal static ContextCopiesRemoved RemoveIfStale(string folder, DateTimeOffset now, TimeSpan ttl, bool all)
    {
        var used = new FileInfo(Path.Combine(folder, "used"));
        var lastUsed = used.Exists ? new DateTimeOffset(used.LastWriteTimeUtc, TimeSpan.Zero) : DateTimeOffset.MinValue;
        var halfReceived = !File.Exists(Path.Combine(folder, "manifest"));
        if (!all && !halfReceived && lastUsed > now - ttl)
        {
            return new ContextCopiesRemoved(0, 0);
        }
        long bytes = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            var info = new FileInfo(file);
            bytes += info.LinkTarget is null ? info.Length : 0;
        }
        // Without following a symlink the client sent, and through directories whose mode forbids writing.
        using (var rooted = RootedDirectory.Open(Path.GetDirectoryName(folder)!))
        {
            rooted.RemoveAll(Path.GetFileName(folder));
        }
        return new ContextCopiesRemoved(1, bytes);
    }
}

/// <summary>One client's copy of its context, locked while a build uses it.</summary>
internal sealed class ContextCopy(string folder, SemaphoreSlim gate) : IDisposable
{
    private bool _disposed;

    /// <summary>The files: the build's context directory.</summary>
    public string TreePath { get; } = Path.Combine(folder, "tree");

    /// <summary>The metadata of what <see cref="TreePath"/> holds; absent while a sync is under way.</summary>
    public string ManifestPath { get; } = Path.Combine(folder, "manifest");

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            try
            {
                ContextCopyFolders.MarkUsed(folder);
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
