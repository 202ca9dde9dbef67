using System.Text;

namespace Builder.Solver.Logs;

/// <summary>
/// The full output of one step, written to a file as it arrives (never clipped), with the last
/// lines kept in memory for the failure report.
/// </summary>
public sealed class StepLog : Stream
{
    private const int TailLines = 20;
    private readonly FileStream _file;
    private readonly Action<ReadOnlyMemory<byte>> _onData;
    private readonly LinkedList<string> _tail = new();
    private readonly StringBuilder _partial = new();
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
            if (_partial.Length > 0)
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
            foreach (var ch in Encoding.UTF8.GetString(copy))
            {
                if (ch == '\n')
                {
                    _tail.AddLast(_partial.ToString().TrimEnd('\r'));
                    _partial.Clear();
                    if (_tail.Count > TailLines)
                    {
                        _tail.RemoveFirst();
                    }
                }
                else if (_partial.Length < 4096)
                {
                    _partial.Append(ch);
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
