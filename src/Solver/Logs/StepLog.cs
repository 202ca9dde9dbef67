using System.Text;

namespace Builder.Solver.Logs;

/// <summary>
/// The full output of one step, written to a file as it arrives (never clipped), with the last
/// lines kept in memory for the failure report as a terminal would show them (see
/// <see cref="TerminalLine"/>: a progress bar redrawing its line with '\r' is one line, its last state).
/// </summary>
public sealed class StepLog : Stream
{
    private const int TailLines = 20;
    private readonly FileStream _file;
    private readonly Action<ReadOnlyMemory<byte>> _onData;
    private readonly LinkedList<string> _tail = new();
    private readonly TerminalLine _partial = new();
    // Chunks may split a UTF-8 character: the decoder keeps the first bytes until the rest come.
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[4096];
    private readonly Lock _lock = new();

    public StepLog(string path, Action<ReadOnlyMemory<byte>> onData)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        Path = path;
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096);
        _onData = onData;
    }

    /// <summary>Where the full log is.</summary>
    public string Path { get; }

    /// <summary>Up to the last 20 lines, the unterminated last line included.</summary>
    public IReadOnlyList<string> LastLines()
    {
        lock (_lock)
        {
            var lines = _tail.ToList();
            if (!_partial.IsEmpty)
            {
                lines.Add(_partial.ToString());
            }
            return lines.Count > TailLines ? lines[^TailLines..] : lines;
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }
        var copy = buffer.ToArray();
        lock (_lock)
        {
            _file.Write(copy);
            var needed = _decoder.GetCharCount(copy, flush: false);
            if (needed > _chars.Length)
            {
                _chars = new char[needed];
            }
            var count = _decoder.GetChars(copy, _chars, flush: false);
            foreach (var ch in _chars.AsSpan(0, count))
            {
                if (ch == '\n')
                {
                    _tail.AddLast(_partial.ToString());
                    _partial.Clear();
                    if (_tail.Count > TailLines)
                    {
                        _tail.RemoveFirst();
                    }
                }
                else
                {
                    _partial.Write(ch);
                }
            }
        }
        _onData(copy);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
        lock (_lock)
        {
            _file.Flush();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_lock)
            {
                _file.Dispose();
            }
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
