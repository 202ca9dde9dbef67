using System.Text;
using Builder.Solver.Logs;

namespace Builder.Solver.Tests.Logs;

public sealed class StepLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("steplog-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private StepLog NewLog() => new(Path.Combine(_dir, "step.log"), _ => { });

    private static void Write(StepLog log, string text) => log.Write(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Progress_bar_redrawn_with_carriage_returns_is_one_line_in_its_final_state()
    {
        using var log = NewLog();
        Write(log, "downloading\n");
        for (var percent = 0; percent <= 100; percent += 2)
        {
            Write(log, $"\r[{new string('#', percent / 10),-10}] {percent,3}%");
        }
        Write(log, "\ndone\n");
        Assert.Equal(["downloading", "[##########] 100%", "done"], log.LastLines());
    }

    [Fact]
    public void Thousands_of_redraws_without_a_newline_keep_the_last_state_as_the_unfinished_line()
    {
        using var log = NewLog();
        for (var i = 0; i <= 5000; i++)
        {
            Write(log, $"\rstep {i}/5000");
        }
        Assert.Equal(["step 5000/5000"], log.LastLines());
    }

    [Fact]
    public void Shorter_text_after_a_carriage_return_overwrites_only_its_own_columns_as_on_a_terminal()
    {
        using var log = NewLog();
        Write(log, "abcdef\rXY\n");
        Write(log, "progress 99%\r\x1b[Kfinished\n");
        Write(log, "windows line\r\n");
        Assert.Equal(["XYcdef", "finished", "windows line"], log.LastLines());
    }

    [Fact]
    public void Only_the_last_twenty_lines_are_kept_and_the_file_has_everything_byte_for_byte()
    {
        var text = string.Concat(Enumerable.Range(1, 30).Select(i => $"line {i}\r\n"));
        using (var log = NewLog())
        {
            Write(log, text);
            Assert.Equal(Enumerable.Range(11, 20).Select(i => $"line {i}"), log.LastLines());
        }
        Assert.Equal(text, File.ReadAllText(Path.Combine(_dir, "step.log")));
    }

    [Fact]
    public void Utf8_character_split_across_chunks_decodes_whole()
    {
        using var log = NewLog();
        var bytes = Encoding.UTF8.GetBytes("größe ✓\n");
        foreach (var b in bytes)
        {
            log.Write([b]);
        }
        Assert.Equal(["größe ✓"], log.LastLines());
    }

    [Theory]
    [InlineData("50%\r100%", "100%")]
    [InlineData("abc\r\x1b[2Kxy", "xy")]
    [InlineData("\x1b[31mred\x1b[0m", "red")]
    [InlineData("title\x1b]0;window\aend", "titleend")]
    [InlineData("ab\bc", "ac")]
    public void Terminal_line_renders_as_a_terminal_shows_it(string raw, string shown) =>
        Assert.Equal(shown, TerminalLine.Render(raw));

    [Fact]
    public void Terminal_line_is_bounded()
    {
        var line = new TerminalLine();
        line.Write(new string('x', TerminalLine.MaxLength + 100));
        line.Write("\rok");
        Assert.Equal(TerminalLine.MaxLength, line.ToString().Length);
        Assert.StartsWith("okx", line.ToString());
    }
}
