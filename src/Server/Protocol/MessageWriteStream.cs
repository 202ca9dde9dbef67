namespace Builder.Server.Protocol;

/// <summary>
/// A write-only stream whose writes become response messages of at most <c>chunkSize</c> bytes each, sent
/// as they come (nothing is held back, so a container's interactive output is not delayed). Each write
/// waits until its messages are on the wire.
/// </summary>
internal sealed class MessageWriteStream(Func<ReadOnlyMemory<byte>, CancellationToken, Task> send, int chunkSize, CancellationToken cancellationToken) : WriteOnlyStream
{
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default)
    {
        for (var start = 0; start < buffer.Length; start += chunkSize)
        {
            await send(buffer.Slice(start, Math.Min(chunkSize, buffer.Length - start)), cancellationToken).ConfigureAwait(false);
        }
    }
}
