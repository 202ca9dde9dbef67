using Builder.Server.Protocol;
using Builder.Server.Protocol.Debugging;
using Google.Protobuf;
using Grpc.Core;

namespace Builder.Server.Debug;

/// <summary>
/// An export's tar as <see cref="ExportChunk"/> messages of up to 256 KiB: the tar writer's small writes are
/// gathered into one chunk. The writer runs on its own thread, so a synchronous write waits for the wire.
/// </summary>
internal sealed class ExportChunkStream(IServerStreamWriter<ExportChunk> writer, CancellationToken cancellationToken) : WriteOnlyStream
{
    private const int ChunkSize = 256 << 10;
    private readonly byte[] _buffer = new byte[ChunkSize];
    private int _filled;

    /// <summary>Bytes sent so far.</summary>
    public long Sent { get; private set; }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken token)
    {
        if (_filled == 0)
        {
            return;
        }
        await writer.WriteAsync(new ExportChunk { Data = ByteString.CopyFrom(_buffer, 0, _filled) }, cancellationToken).ConfigureAwait(false);
        Sent += _filled;
        _filled = 0;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, ChunkSize - _filled);
            buffer.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == ChunkSize)
            {
                await FlushAsync(token).ConfigureAwait(false);
            }
        }
    }
}
