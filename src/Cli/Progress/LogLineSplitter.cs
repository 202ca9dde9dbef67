using System.Text;

namespace Builder.Cli.Progress;

/// <summary>
/// Splits one vertex's output chunks into lines. A line may span chunks (bytes are kept until its
/// newline, so a UTF-8 character split across chunks decodes whole). A carriage return not
/// followed by a newline starts the line over, as on a terminal, so progress bars show their last
/// state; <c>\r\n</c> is a plain line end. Each line is stamped with the elapsed time of the
/// chunk it began in. A line longer than <see cref="MaxLineBytes"/> is cut, to bound memory.
/// </summary>
internal sealed class LogLineSplitter
{
    public const int MaxLineBytes = 16 * 1024;

    private byte[] buffer = new byte[256];
    private int length;
    private bool started;
    private bool carriageReturn;
    private TimeSpan lineStart;

    /// <summary>True when bytes of an unfinished line are held.</summary>
    public bool HasPartial => started;

    /// <summary>The unfinished line as a terminal would show it now ("" when none).</summary>
    public string Partial => Encoding.UTF8.GetString(buffer, 0, length);

    /// <summary>Appends a chunk; calls <paramref name="line"/> for every line it completes.</summary>
    public void Append(ReadOnlySpan<byte> data, TimeSpan elapsed, Action<TimeSpan, string> line)
    {
        foreach (var b in data)
        {
            if (!started)
            {
                started = true;
                lineStart = elapsed;
            }
            if (b == (byte)'\n')
            {
                carriageReturn = false;
                Emit(line);
                continue;
            }
            if (carriageReturn)
            {
                // A lone \r: what follows overwrites the line, so only the new text is kept.
                carriageReturn = false;
                length = 0;
            }
            if (b == (byte)'\r')
            {
                carriageReturn = true;
                continue;
            }
            if (length == buffer.Length)
            {
                if (length >= MaxLineBytes)
                {
                    Emit(line);
                    started = true;
                    lineStart = elapsed;
                }
                else
                {
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxLineBytes));
                }
            }
            buffer[length++] = b;
        }
    }

    /// <summary>Completes an unfinished line (the vertex ended without a final newline).</summary>
    public bool TryFlush(out TimeSpan elapsed, out string text)
    {
        elapsed = lineStart;
        if (!started)
        {
            text = "";
            return false;
        }
        text = Encoding.UTF8.GetString(buffer, 0, length);
        Reset();
        return true;
    }

    private void Emit(Action<TimeSpan, string> line)
    {
        var text = Encoding.UTF8.GetString(buffer, 0, length);
        var at = lineStart;
        Reset();
        line(at, text);
    }

    private void Reset()
    {
        length = 0;
        started = false;
        carriageReturn = false;
    }
}
