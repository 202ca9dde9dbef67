using System.Security.Cryptography;
using Builder.Oci;

namespace Builder.Snapshotter.Content;

/// <summary>
/// A write-only stream into a temp file of the content store that hashes as it writes. Nothing is
/// visible in the store until <see cref="Commit"/>; disposing without committing deletes the temp file.
/// </summary>
public sealed class ContentWriter : Stream
{
    private readonly ContentStore _store;
    private readonly string _tempPath;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _written;
    private bool _committed;

    internal ContentWriter(ContentStore store, string tempPath)
    {
        _store = store;
        _tempPath = tempPath;
        _file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    /// <summary>Bytes written so far.</summary>
    public long Written => _written;

    /// <summary>
    /// Flushes, fsyncs, verifies against the expectations (when given) and renames the temp file into the
    /// store. A mismatch deletes the temp file and throws <see cref="InvalidDataException"/>.
    /// With a <paramref name="lease"/>, the blob is leased before it becomes visible, so a
    /// concurrent garbage collection can never see it unreferenced.
    /// </summary>
    public BlobInfo Commit(Digest? expected = null, long? expectedSize = null, Gc.Lease? lease = null)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        var digest = Digest.FromSha256Bytes(_hash.GetHashAndReset());
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _committed = true;
        if (expectedSize is { } size && size != _written)
        {
            File.Delete(_tempPath);
            throw new InvalidDataException($"size mismatch: expected {size} bytes, got {_written} (digest {digest})");
        }
        if (expected is not null && expected != digest)
        {
            File.Delete(_tempPath);
            throw new InvalidDataException($"digest mismatch: expected {expected}, got {digest}");
        }
        lease?.Add(Gc.ResourceKind.Blob, digest.ToString());
        _store.Publish(_tempPath, digest);
        return new BlobInfo(digest, _written);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _hash.AppendData(buffer);
        _file.Write(buffer);
        _written += buffer.Length;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        _hash.AppendData(buffer.Span);
        await _file.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        _written += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void WriteByte(byte value) => Write([value]);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_committed;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }
    public override void Flush() => _file.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_committed)
            {
                _committed = true;
                _file.Dispose();
                File.Delete(_tempPath);
            }
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
