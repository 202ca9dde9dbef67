using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Parser;

public sealed class LineSpanAndErrorTests
{
    [Fact]
    public void Spans_include_continuations_comments_and_blank_lines_inside()
    {
        var text = "# c\n\nFROM a\n\nRUN a \\\n\n# inner\n  b \\\n  c\n\n\nCMD x\n\n";

        var ast = DockerfileParser.Parse(text);

        Assert.Equal([(3, 3), (5, 9), (12, 12)], ast.Children.Select(n => (n.StartLine, n.EndLine)));
        Assert.Equal((3, 12), (ast.StartLine, ast.EndLine));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n   \n")]
    [InlineData("# only\n# comments\n")]
    [InlineData("# syntax=x\n")]
    [InlineData("\\\n\n")]
    public void A_file_without_instructions_is_an_error(string text)
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text));

        Assert.Contains("no instructions", error.Message);
    }

    [Fact]
    public void Error_span_covers_the_whole_continued_instruction()
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nENV \\\n  \\\n  PATH\nRUN x\n"));

        Assert.Equal((2, 4), (error.StartLine, error.EndLine));
    }

    [Fact]
    public void Parse_reads_from_a_text_reader()
    {
        using var reader = new StringReader("FROM a\nRUN b\n");

        var ast = DockerfileParser.Parse(reader);

        Assert.Equal(["from", "run"], ast.Children.Select(n => n.Keyword));
    }

    [Fact]
    public void Null_arguments_are_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => DockerfileParser.Parse((string)null!));
        Assert.Throws<ArgumentNullException>(() => DockerfileParser.Parse((TextReader)null!));
    }

    [Fact]
    public void A_megabyte_single_line_parses()
    {
        var value = new string('x', 1 << 20);
        var text = "FROM a\nRUN echo " + value + " \\\n  tail\nENV K=" + value + "\nCOPY <<EOF /a\n" + value + "\nEOF\n";

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ast = DockerfileParser.Parse(text);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Linear work: a few copies of each line. Quadratic joining would allocate terabytes.
        TestContext.Current.TestOutputHelper?.WriteLine($"parse of {text.Length} chars allocated {allocated} bytes");
        Assert.True(allocated < 40L * text.Length * sizeof(char), $"allocated {allocated} bytes for {text.Length} chars");
        Assert.Equal("echo " + value + " " + "  tail", ast.Children[1].Arguments[0]);
        Assert.Equal(value, ast.Children[2].Arguments[1]);
        Assert.Equal(value + "\n", ast.Children[3].Heredocs[0].Content);
    }
}
