using System.Collections.Concurrent;
using System.Security.Cryptography;
using Builder.Oci;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>
/// A write-only sink that only hashes (sha256) what is written to it, on a second thread once more than one
/// buffer has arrived: the writer reads files and builds tar headers while the previous megabyte is hashed,
/// so a large layer's diff id costs about the larger of the two instead of their sum. A small layer is hashed
/// on the caller's thread and starts no thread at all. Memory: at most <see cref="Buffers"/> buffers of 1 MiB.
/// </summary>
internal sealed class PipelinedHashStream : Stream
{
    private const int BufferSize = 1 << 20;
    private const int Buffers = 4;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly BlockingCollection<(byte[] Buffer, int Count)> _filled = new(Buffers);
    private readonly BlockingCollection<byte[]> _free = new(Buffers);
    private Thread? _hasher;
    private Exception? _hasherFailure;
    private byte[] _current = new byte[BufferSize];
    private int _used;
    private int _allocated = 1;
    private bool _completed;

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>Hashes what is still buffered, waits for the hashing thread and returns the digest of everything written.</summary>
    public Digest Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        if (_hasher is null)
        {
            _hash.AppendData(_current, 0, _used);
        }
        else
        {
            if (_used > 0)
            {
                _filled.Add((_current, _used));
            }
            _filled.CompleteAdding();
            _hasher.Join();
            if (_hasherFailure is { } failure)
            {
                throw new IOException("hashing the layer failed: " + failure.Message, failure);
            }
        }
        return Digest.FromSha256Bytes(_hash.GetHashAndReset());
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        Written += buffer.Length;
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, BufferSize - _used);
            buffer[..n].CopyTo(_current.AsSpan(_used));
            _used += n;
            buffer = buffer[n..];
            if (_used == BufferSize)
            {
                HandOff();
            }
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Gives the full buffer to the hashing thread (started on first use) and takes a free one.</summary>
    private void HandOff()
    {
        if (_hasher is null)
        {
            _hasher = new Thread(HashLoop) { IsBackground = true, Name = "layer hash" };
            _hasher.Start();
        }
        _filled.Add((_current, _used));
        _used = 0;
        if (_hasherFailure is { } failure)
        {
            throw new IOException("hashing the layer failed: " + failure.Message, failure);
        }
        if (!_free.TryTake(out var next))
        {
            if (_allocated < Buffers)
            {
                next = new byte[BufferSize];
                _allocated++;
            }
            else
            {
                next = _free.Take();
            }
        }
        _current = next;
    }

    private void HashLoop()
    {
        foreach (var (buffer, count) in _filled.GetConsumingEnumerable())
        {
            if (_hasherFailure is null)
            {
                try
                {
                    _hash.AppendData(buffer, 0, count);
                }
                catch (CryptographicException e)
                {
                    _hasherFailure = e; // reported to the writer; buffers keep circulating so it never blocks
                }
            }
            _free.Add(buffer);
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_completed;
    public override long Length => Written;
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_hasher is not null && !_filled.IsAddingCompleted)
            {
                _filled.CompleteAdding(); // abandoned mid-layer (an exception): let the thread finish
                _hasher.Join();
            }
            _filled.Dispose();
            _free.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
