using System.IO.Compression;

namespace Builder.Snapshotter.Layers.Apply;

/// <summary>Recognizes a compressed stream by its magic bytes and returns a decompressing stream over it.</summary>
public static class Decompression
{
    /// <summary>
    /// Wraps <paramref name="input"/> so it reads decompressed bytes: gzip, zstd, bzip2 and xz are
    /// detected; anything else is passed through unchanged (a plain tar). Reads only a few bytes ahead.
    /// </summary>
    public static Stream Open(Stream input, out string format)
    {
        ArgumentNullException.ThrowIfNull(input);
        var head = new byte[6];
        var n = 0;
        while (n < head.Length)
        {
            var r = input.Read(head, n, head.Length - n);
            if (r == 0)
            {
                break;
            }
            n += r;
        }
        var joined = new PrefixedStream(head.AsMemory(0, n), input);
        var h = head.AsSpan(0, n);
        if (h.StartsWith(new byte[] { 0x1f, 0x8b }))
        {
            format = "gzip";
            return new GZipStream(joined, CompressionMode.Decompress);
        }
        if (h.StartsWith(new byte[] { 0x28, 0xb5, 0x2f, 0xfd }))
        {
            format = "zstd";
            return new ZstdSharp.DecompressionStream(joined);
        }
        if (h.StartsWith("BZh"u8))
        {
            format = "bzip2";
            return SharpCompress.Compressors.BZip2.BZip2Stream.Create(joined, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true);
        }
        if (h.StartsWith(new byte[] { 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00 }))
        {
            format = "xz";
            return new SharpCompress.Compressors.Xz.XZStream(joined);
        }
        format = "tar";
        return joined;
    }
}

/// <summary>Replays bytes already read from a stream, then continues with the stream.</summary>
internal sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;
    private long _position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_prefix.Length > 0)
        {
            var n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            _position += n;
            return n;
        }
        var read = rest.Read(buffer);
        _position += read;
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
