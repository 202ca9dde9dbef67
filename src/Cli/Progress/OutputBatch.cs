using System.Globalization;
using System.Text;

namespace Builder.Cli.Progress;

/// <summary>
/// Collects text written while the pump drains a batch of events and hands it to the real writer
/// in one write: stderr flushes on every write, and one system call per output line would make
/// a chatty step cost the display more than it must.
/// </summary>
internal sealed class OutputBatch
{
    /// <summary>Past this many characters the batch is written out even mid-burst.</summary>
    public const int MaxChars = 64 * 1024;

    private readonly TextWriter output;
    private readonly StringBuilder text = new();

    public OutputBatch(TextWriter output)
    {
        this.output = output ?? throw new ArgumentNullException(nameof(output));
        Writer = new StringWriter(text, CultureInfo.InvariantCulture) { NewLine = "\n" };
    }

    /// <summary>Where the printer writes; "\n" line ends, like BuildKit.</summary>
    public TextWriter Writer { get; }

    /// <summary>Writes out what was collected when it grew large.</summary>
    public void WriteIfLarge()
    {
        if (text.Length >= MaxChars)
        {
            WriteOut();
        }
    }

    /// <summary>Writes out what was collected and flushes.</summary>
    public void WriteOut()
    {
        if (text.Length > 0)
        {
            output.Write(text);
            text.Clear();
        }
        output.Flush();
    }
}
