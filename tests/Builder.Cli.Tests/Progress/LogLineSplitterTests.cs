using System.Text;
using Builder.Cli.Progress;

namespace Builder.Cli.Tests.Progress;

public sealed class LogLineSplitterTests
{
    private static List<(double Elapsed, string Text)> Feed(LogLineSplitter splitter, params (string Data, double Elapsed)[] chunks)
    {
        var lines = new List<(double, string)>();
        foreach (var (data, elapsed) in chunks)
        {
            splitter.Append(Encoding.UTF8.GetBytes(data), TimeSpan.FromSeconds(elapsed), (at, text) => lines.Add((at.TotalSeconds, text)));
        }
        return lines;
    }

    [Fact]
    public void LinesSpanChunksAndKeepTheTimeTheyStarted()
    {
        var splitter = new LogLineSplitter();
        var lines = Feed(splitter, ("one\ntw", 0.1), ("o\nthr", 0.2), ("ee", 0.3));
        Assert.Equal([(0.1, "one"), (0.1, "two")], lines);
        Assert.True(splitter.HasPartial);
        Assert.Equal("three", splitter.Partial);
        Assert.True(splitter.TryFlush(out var elapsed, out var last));
        Assert.Equal(("three", 0.2), (last, elapsed.TotalSeconds));
        Assert.False(splitter.TryFlush(out _, out _));
    }

    [Fact]
    public void CarriageReturnKeepsWhatATerminalWouldShow()
    {
        var splitter = new LogLineSplitter();
        var lines = Feed(splitter, (" 10%\r 50%\r100%\n", 0), ("dos\r\n", 0), ("split\r", 0), ("\nnext\r", 0));
        Assert.Equal(["100%", "dos", "split"], lines.Select(l => l.Text));
        Assert.True(splitter.TryFlush(out _, out var last));
        Assert.Equal("next", last);
    }

    [Fact]
    public void MultiByteCharacterSplitAcrossChunksDecodesWhole()
    {
        var splitter = new LogLineSplitter();
        var bytes = Encoding.UTF8.GetBytes("grüße\n");
        var lines = new List<string>();
        splitter.Append(bytes.AsSpan(0, 3), TimeSpan.Zero, (_, text) => lines.Add(text));
        splitter.Append(bytes.AsSpan(3), TimeSpan.Zero, (_, text) => lines.Add(text));
        Assert.Equal(["grüße"], lines);
    }

    [Fact]
    public void EndlessLineIsCutToBoundMemory()
    {
        var splitter = new LogLineSplitter();
        var lines = Feed(splitter, (new string('x', LogLineSplitter.MaxLineBytes + 10), 0));
        Assert.Equal(LogLineSplitter.MaxLineBytes, Assert.Single(lines).Text.Length);
        Assert.Equal(10, splitter.Partial.Length);
    }
}
