namespace Builder.Server.Protocol;

/// <summary>
/// A write-only stream whose writes become response messages of at most <c>chunkSize</c> bytes each, sent
/// as they come (nothing is held back, so a container's interactive output is not delayed). Each write
/// waits until its messages are on the wire.
/// </summary>
internal sealed class MessageWriteStream(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, int chunkSize, CancellationToken cancellationToken) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written;
    public override long Position { get => _written; set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) => WriteAsync(buffer.AsMemory(offset, count), token).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        for (var start = 0; start < buffer.Length; start += chunkSize)
        {
            var piece = buffer.Slice(start, Math.Min(chunkSize, buffer.Length - start));
            await send(piece, cancellationToken).ConfigureAwait(false);
            _written += piece.Length;
        }
    }
}
