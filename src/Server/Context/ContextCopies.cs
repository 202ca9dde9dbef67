using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Builder.Server.Context;

/// <summary>
/// The server's copies of its clients' contexts, under <c>&lt;root&gt;/server/contexts/&lt;key&gt;/</c>, one per
/// (client identity, context id): <c>tree/</c> holds the files, <c>manifest</c> the metadata last received.
/// A copy is used by one build at a time; a second build of the same copy waits.
/// </summary>
internal sealed class ContextCopies(string dataRoot)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public string Directory { get; } = Path.Combine(dataRoot, "server", "contexts");

    /// <summary>Locks the copy of (<paramref name="identity"/>, <paramref name="contextId"/>) for one build.</summary>
    public async Task<ContextCopy> AcquireAsync(string identity, string contextId, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity + "\0" + contextId)))[..32];
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var folder = Path.Combine(Directory, key);
            System.IO.Directory.CreateDirectory(Path.Combine(folder, "tree"));
            return new ContextCopy(folder, gate);
        }
        catch
        {
            gate.Release();
            throw;
        }
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
            gate.Release();
        }
    }
}
