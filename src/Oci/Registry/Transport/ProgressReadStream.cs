using System.Security.Cryptography;

namespace Builder.Oci.Registry.Transport;

/// <summary>
/// The body of an upload: reads at most <c>limit</c> bytes of the source (one chunk, or all of it),
/// hashes what it hands out and resets a stall timer on each read, so an upload that moves never
/// times out. A source that ends early fails the request with the exception <c>sourceEnded</c>
/// makes (given the bytes read), instead of sending a body shorter than its Content-Length.
/// Leaves the source open.
/// </summary>
internal sealed class ProgressReadStream(Stream source, long limit, IncrementalHash hash, StallTimer timer, Func<long, Exception> sourceEnded) : Stream
{
    private long _read;

    public long BytesRead => _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => limit;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = source.Read(buffer[..(int)Math.Min(buffer.Length, limit - _read)]);
        Advance(buffer[..n]);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await source.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _read)], cancellationToken).ConfigureAwait(false);
        Advance(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Advance(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 && _read < limit)
        {
            throw sourceEnded(_read);
        }
        _read += data.Length;
        hash.AppendData(data);
        timer.Reset();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
