using Builder.Oci;
using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Content;

/// <summary>
/// Blobs by sha256 under <c>&lt;root&gt;/content/blobs/sha256/&lt;hex&gt;</c>. A blob only ever appears at its
/// final path by rename(2) of a fully written, fsynced and verified temp file, so a crash can leave temp
/// files (removed at open) but never a blob that looks complete and is not. Readers stream.
/// <para>
/// Lazy blobs: a layer a build stored only by its digest (see <see cref="Layers.LayerStore.Describe"/>) is not a
/// file until something reads it. <see cref="OpenRead"/> then regenerates it from its snapshot, verifies the
/// digest and publishes it like any other blob; <see cref="WriteTo"/> streams it without storing it.
/// <see cref="Exists"/>, <see cref="Info"/> and <see cref="List"/> see stored files only.
/// </para>
/// </summary>
public sealed class ContentStore
{
    private readonly string _blobDir;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Digest, Lock> _materializing = new();

    /// <param name="dataRoot">The data root; blobs go to content/blobs/sha256, temp files to tmp/.</param>
    public ContentStore(string dataRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataRoot);
        _blobDir = Path.Combine(dataRoot, "content", "blobs", "sha256");
        TempDir = Path.Combine(dataRoot, "tmp");
        Directory.CreateDirectory(_blobDir);
        Directory.CreateDirectory(TempDir);
    }

    internal string TempDir { get; }

    /// <summary>Where lazy blobs come from (the data root's layer store registers itself); null: none.</summary>
    internal ILazyBlobSource? LazySource { get; set; }

    /// <summary>Opens a writer whose bytes are hashed as they arrive; <see cref="ContentWriter.Commit"/> publishes the blob.</summary>
    public ContentWriter OpenWriter() => new(this, Path.Combine(TempDir, "ingest-" + Guid.NewGuid().ToString("N")));

    /// <summary>
    /// Copies <paramref name="source"/> into the store. When <paramref name="expected"/> or
    /// <paramref name="expectedSize"/> is given and the bytes do not match, nothing is stored and an
    /// <see cref="InvalidDataException"/> says what differed. With a <paramref name="lease"/>, the blob
    /// is leased before it becomes visible (see <see cref="ContentWriter.Commit"/>).
    /// </summary>
    public async Task<BlobInfo> IngestAsync(Stream source, Digest? expected = null, long? expectedSize = null, CancellationToken cancellationToken = default, Gc.Lease? lease = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (expected is not null)
        {
            lease?.Add(Gc.ResourceKind.Blob, expected.ToString());
        }
        if (expected is not null && Exists(expected))
        {
            // Already stored: the stream is not read at all (a pull of a layer we have costs nothing).
            var existing = Info(expected)!;
            if (expectedSize is not null && existing.Size != expectedSize)
            {
                throw new InvalidDataException($"blob {expected} has size {existing.Size}, expected {expectedSize}");
            }
            return existing;
        }
        await using var writer = OpenWriter();
        await source.CopyToAsync(writer, 1 << 20, cancellationToken).ConfigureAwait(false);
        return writer.Commit(expected, expectedSize, lease);
    }

    /// <summary>True when the blob is stored as a file (a lazy blob not yet materialized is not).</summary>
    public bool Exists(Digest digest) => File.Exists(BlobPath(digest));

    /// <summary>
    /// Stores a small blob held in memory (a config, a manifest). When the store already has it nothing is
    /// written: a rebuild that yields the same image pays no fsync. Leased first, as <see cref="IngestAsync"/> does.
    /// </summary>
    public BlobInfo WriteBytes(ReadOnlySpan<byte> bytes, Gc.Lease? lease = null)
    {
        var digest = Digest.Sha256Of(bytes);
        lease?.Add(Gc.ResourceKind.Blob, digest.ToString());
        if (Info(digest) is { } existing && existing.Size == bytes.Length)
        {
            return existing;
        }
        using var writer = OpenWriter();
        writer.Write(bytes);
        return writer.Commit(digest, bytes.Length, lease);
    }

    /// <summary>True when <see cref="OpenRead"/> can give the blob: it is stored, or it is a lazy blob with a recipe.</summary>
    public bool IsAvailable(Digest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return Exists(digest) || LazySource?.SizeOf(digest) is not null;
    }

    /// <summary>The size of a stored or lazy blob, or null when <see cref="IsAvailable"/> is false.</summary>
    public long? AvailableSize(Digest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return Info(digest)?.Size ?? LazySource?.SizeOf(digest);
    }

    /// <summary>
    /// Writes the blob's bytes to <paramref name="destination"/>: a stored blob is copied; a lazy one is regenerated
    /// straight into the destination, not stored, and checked on the way. An <see cref="InvalidDataException"/>
    /// then means the destination received bytes that are not the blob and must be discarded (a caller that
    /// stores something derived from them commits only after this returns). <see cref="FileNotFoundException"/>
    /// when the blob is neither stored nor lazy.
    /// </summary>
    public void WriteTo(Digest digest, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(destination);
        if (!Exists(digest) && LazySource is { } lazy && lazy.TryWrite(digest, destination))
        {
            return;
        }
        using var source = OpenRead(digest);
        source.CopyTo(destination, 1 << 20);
    }

    /// <summary>The blob's digest and size, or null when the store does not hold it.</summary>
    public BlobInfo? Info(Digest digest)
    {
        var file = new FileInfo(BlobPath(digest));
        return file.Exists ? new BlobInfo(digest, file.Length) : null;
    }

    /// <summary>
    /// Opens a blob for streaming; with <paramref name="offset"/> and <paramref name="length"/> only that
    /// range is readable (a registry range request, a resumed push). Throws <see cref="FileNotFoundException"/>
    /// when absent and <see cref="ArgumentOutOfRangeException"/> when the range lies outside the blob.
    /// </summary>
    public Stream OpenRead(Digest digest, long offset = 0, long? length = null)
    {
        ArgumentNullException.ThrowIfNull(digest);
        FileStream file;
        try
        {
            file = OpenFile(digest);
        }
        catch (FileNotFoundException) when (LazySource?.SizeOf(digest) is not null)
        {
            Materialize(digest);
            file = OpenFile(digest);
        }
        catch (FileNotFoundException)
        {
            throw new FileNotFoundException($"blob {digest} not found in the content store", BlobPath(digest));
        }
        var size = file.Length;
        if (offset < 0 || offset > size || (length is { } l && (l < 0 || offset + l > size)))
        {
            file.Dispose();
            throw new ArgumentOutOfRangeException(nameof(offset), $"range {offset}+{length} is outside blob {digest} of {size} bytes");
        }
        if (offset == 0 && (length is null || length == size))
        {
            return file;
        }
        file.Seek(offset, SeekOrigin.Begin);
        return new RangeReadStream(file, length ?? size - offset);
    }

    private FileStream OpenFile(Digest digest) =>
        new(BlobPath(digest), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    /// <summary>
    /// Writes a lazy blob into the store (fsynced, verified, renamed like an ingest). Concurrent readers of the
    /// same blob wait for one materialization; a blob whose regenerated bytes differ is never published.
    /// </summary>
    private void Materialize(Digest digest)
    {
        lock (_materializing.GetOrAdd(digest, _ => new Lock()))
        {
            if (Exists(digest))
            {
                return;
            }
            using var writer = OpenWriter();
            if (LazySource is not { } lazy || !lazy.TryWrite(digest, writer))
            {
                throw new FileNotFoundException($"blob {digest} not found in the content store", BlobPath(digest));
            }
            writer.Commit(digest);
        }
    }

    /// <summary>Deletes a blob; deleting an absent blob is not an error (GC may race a second GC).</summary>
    public void Delete(Digest digest) => File.Delete(BlobPath(digest));

    /// <summary>Every blob in the store, read from the directory (the store is its own index).</summary>
    public IEnumerable<BlobInfo> List()
    {
        foreach (var file in new DirectoryInfo(_blobDir).EnumerateFiles())
        {
            if (Digest.TryParse(Digest.Sha256Algorithm + ":" + file.Name, out var digest))
            {
                yield return new BlobInfo(digest, file.Length);
            }
        }
    }

    internal string BlobPath(Digest digest) => Path.Combine(_blobDir, digest.Hex);

    /// <summary>Renames a finished temp file to its blob path and makes the rename durable.</summary>
    internal void Publish(string tempPath, Digest digest)
    {
        File.Move(tempPath, BlobPath(digest), overwrite: true); // rename(2): atomic; a racing identical ingest is harmless
        FsyncDirectory(_blobDir);
    }

    internal static void FsyncDirectory(string path)
    {
        var fd = Syscalls.Openat(Syscalls.AtFdCwd, path, Syscalls.ORdOnly | Syscalls.ODirectory | Syscalls.OCloExec, 0);
        Errno.Check(fd, "open", path);
        try
        {
            Errno.Check(Syscalls.Fsync(fd), "fsync", path);
        }
        finally
        {
            Syscalls.Close(fd);
        }
    }
}
