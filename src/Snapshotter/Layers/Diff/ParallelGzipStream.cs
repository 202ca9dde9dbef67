using System.IO.Compression;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>
/// gzip on several cores: the input is cut into 1 MiB blocks, each compressed as its own gzip member on
/// the thread pool, and the members are written in order. Concatenated members are one valid gzip stream
/// (RFC 1952; Go, zlib, pigz and .NET all read it). At most a few blocks are in flight.
/// </summary>
internal sealed class ParallelGzipStream : Stream
{
    private const int BlockSize = 1 << 20;
    private readonly Stream _output;
    private readonly int _level;
    private readonly int _maxInFlight = Math.Max(2, Environment.ProcessorCount * 2);
    private readonly Queue<Task<MemoryStream>> _inFlight = new();
    private byte[] _block = new byte[BlockSize];
    private int _filled;
    private bool _finished;

    public ParallelGzipStream(Stream output, int level)
    {
        _output = output;
        _level = level;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, BlockSize - _filled);
            buffer[..n].CopyTo(_block.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            if (_filled == BlockSize)
            {
                Submit();
            }
        }
    }

    /// <summary>Compresses what is buffered and writes every member; the stream is complete afterwards.</summary>
    public void Finish()
    {
        if (_finished)
        {
            return;
        }
        _finished = true;
        if (_filled > 0)
        {
            Submit();
        }
        while (_inFlight.Count > 0)
        {
            Drain();
        }
    }

    private void Submit()
    {
        var block = _block;
        var length = _filled;
        var level = _level;
        _inFlight.Enqueue(Task.Run(() =>
        {
            var compressed = new MemoryStream(length / 2 + 64);
            using (var gz = new GZipStream(compressed, new ZLibCompressionOptions { CompressionLevel = level }, leaveOpen: true))
            {
                gz.Write(block, 0, length);
            }
            return compressed;
        }));
        _block = new byte[BlockSize];
        _filled = 0;
        while (_inFlight.Count >= _maxInFlight)
        {
            Drain();
        }
    }

    private void Drain()
    {
        var member = _inFlight.Dequeue().GetAwaiter().GetResult();
        member.Position = 0;
        member.CopyTo(_output);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            // Abandoned (an error upstream): wait for the workers, write nothing more.
            _finished = true;
            foreach (var t in _inFlight)
            {
                t.Wait();
            }
            _inFlight.Clear();
        }
        base.Dispose(disposing);
    }
}
