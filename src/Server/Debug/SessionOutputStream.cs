using Builder.Server.Protocol.Debugging;
using Google.Protobuf;

namespace Builder.Server.Debug;

/// <summary>The container's stdout or stderr as session messages.</summary>
internal sealed class SessionOutputStream(SessionOutputQueue queue, bool stderr, CancellationToken cancellationToken) : Stream
{
    private const int ChunkSize = 256 << 10;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

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
        for (var start = 0; start < buffer.Length; start += ChunkSize)
        {
            var data = ByteString.CopyFrom(buffer.Span.Slice(start, Math.Min(ChunkSize, buffer.Length - start)));
            await queue.SendAsync(stderr ? new SessionOutput { Stderr = data } : new SessionOutput { Stdout = data }, cancellationToken).ConfigureAwait(false);
        }
    }
}
