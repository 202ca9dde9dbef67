using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Parser;

public sealed class HeredocTests
{
    [Fact]
    public void Plain_heredoc_body_is_attached_and_lines_included()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN <<EOF\necho hi\n# not a comment\nEOF\nRUN next\n");

        var run = ast.Children[1];
        var heredoc = Assert.Single(run.Heredocs);
        Assert.Equal(new Heredoc("EOF", "echo hi\n# not a comment\n", Expand: true, Chomp: false), heredoc);
        Assert.Equal("<<EOF", run.Arguments[0]);
        Assert.Equal((2, 5), (run.StartLine, run.EndLine));
        Assert.Equal((6, 6), (ast.Children[2].StartLine, ast.Children[2].EndLine));
    }

    [Fact]
    public void Dash_heredoc_strips_leading_tabs_and_accepts_an_indented_terminator()
    {
        var ast = DockerfileParser.Parse("RUN <<-EOT\n\tbaz\n\t\tquux\n  space\n\tEOT\n");

        var heredoc = Assert.Single(ast.Children[0].Heredocs);
        Assert.Equal(new Heredoc("EOT", "baz\nquux\n  space\n", Expand: true, Chomp: true), heredoc);
    }

    [Fact]
    public void Plain_heredoc_keeps_tabs_and_needs_an_unindented_terminator()
    {
        var ast = DockerfileParser.Parse("RUN <<EOT\n\tbaz\n\tEOT\nEOT\n");

        Assert.Equal("\tbaz\n\tEOT\n", Assert.Single(ast.Children[0].Heredocs).Content);
    }

    [Theory]
    [InlineData("<<'EOF'", "EOF")]
    [InlineData("<<\"EOF\"", "EOF")]
    [InlineData("<<-'EOF'", "EOF")]
    [InlineData("<<E'O'F", "EOF")]
    [InlineData("<<'one two'", "one two")]
    public void Quoted_delimiter_disables_expansion(string marker, string name)
    {
        var ast = DockerfileParser.Parse($"RUN {marker}\n$HOME\n{name}\n");

        var heredoc = Assert.Single(ast.Children[0].Heredocs);
        Assert.Equal(name, heredoc.Name);
        Assert.False(heredoc.Expand);
        Assert.Equal("$HOME\n", heredoc.Content);
    }

    [Theory]
    [InlineData("<<EOF", "EOF")]
    [InlineData("<<eo\\'f", "eo'f")] // an escaped quote is not quoting
    [InlineData("<<$EOF", "$EOF")]
    [InlineData("<<  EOF", "EOF")]
    [InlineData("3<<EOF", "EOF")]
    public void Unquoted_delimiter_expands(string marker, string name)
    {
        var ast = DockerfileParser.Parse($"RUN {marker}\nbody\n{name}\n");

        var heredoc = Assert.Single(ast.Children[0].Heredocs);
        Assert.Equal(name, heredoc.Name);
        Assert.True(heredoc.Expand);
    }

    [Fact]
    public void Two_heredocs_on_one_line_are_read_in_order()
    {
        var ast = DockerfileParser.Parse("COPY <<X <<Y /dest\nY\nX\nX\nY\nFROM b\n");

        var copy = ast.Children[0];
        Assert.Equal([new Heredoc("X", "Y\n", true, false), new Heredoc("Y", "X\n", true, false)], copy.Heredocs);
        Assert.Equal(["<<X", "<<Y", "/dest"], copy.Arguments);
        Assert.Equal((1, 5), (copy.StartLine, copy.EndLine));
        Assert.Equal(6, ast.Children[1].StartLine);
    }

    [Fact]
    public void Heredoc_after_flags_and_with_command_words()
    {
        var ast = DockerfileParser.Parse("RUN --mount=type=cache,target=/c <<EOF python3\nprint(1)\nEOF\n");

        var run = ast.Children[0];
        Assert.Equal(["--mount=type=cache,target=/c"], run.Flags);
        Assert.Equal("print(1)\n", Assert.Single(run.Heredocs).Content);
    }

    [Fact]
    public void Heredoc_marker_on_a_continued_line_reads_the_body_after_the_last_line()
    {
        var ast = DockerfileParser.Parse("RUN <<EOF \\\n  cat\nbody\nEOF\n");

        var run = ast.Children[0];
        Assert.Equal("body\n", Assert.Single(run.Heredocs).Content);
        Assert.Equal((1, 4), (run.StartLine, run.EndLine));
    }

    [Theory]
    [InlineData("USER <<EOF\nEOF\n", 2)] // not RUN/COPY/ADD: EOF is the next instruction
    [InlineData("RUN [\"<<EOF\"]\nEOF\n", 2)] // exec form has no heredocs
    [InlineData("RUN \"<<EOF\"\nEOF\n", 2)] // quoted marker
    [InlineData("RUN '<<EOF'\nEOF\n", 2)]
    [InlineData("RUN echo a<b\nEOF\n", 2)]
    public void Heredocs_only_where_allowed(string text, int instructions)
    {
        var ast = DockerfileParser.Parse(text);

        Assert.Equal(instructions, ast.Children.Count);
        Assert.All(ast.Children, n => Assert.Empty(n.Heredocs));
    }

    [Fact]
    public void Onbuild_trigger_heredoc_is_read()
    {
        var ast = DockerfileParser.Parse("ONBUILD RUN <<EOF\nhi\nEOF\nFROM x\n");

        var onbuild = ast.Children[0];
        Assert.Equal("hi\n", Assert.Single(onbuild.Heredocs).Content);
        Assert.Equal(onbuild.Heredocs, onbuild.Nested!.Heredocs);
        Assert.Equal((1, 3), (onbuild.StartLine, onbuild.EndLine));
        Assert.Equal(2, ast.Children.Count);
    }

    [Fact]
    public void Unterminated_heredoc_is_an_error_spanning_to_the_end()
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\nRUN <<EOF\nline\nline\n"));

        Assert.Contains("unterminated heredoc", error.Message);
        Assert.Equal((2, 4), (error.StartLine, error.EndLine));
    }

    [Fact]
    public void Crlf_body_keeps_its_line_endings_and_terminator_matches()
    {
        var ast = DockerfileParser.Parse("RUN <<EOF\r\na\r\nEOF\r\n");

        Assert.Equal("a\r\n", Assert.Single(ast.Children[0].Heredocs).Content);
    }

    [Fact]
    public void Body_without_final_newline_before_terminator_at_eof()
    {
        var ast = DockerfileParser.Parse("RUN <<EOF\na\nEOF");

        Assert.Equal("a\n", Assert.Single(ast.Children[0].Heredocs).Content);
    }
}
