using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Parser;

public sealed class ContinuationTests
{
    [Fact]
    public void Continuation_lines_are_joined_without_the_escape()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN echo a \\\n    b\\\nc\n");

        var run = ast.Children[1];
        Assert.Equal("echo a     bc", run.Arguments[0]);
        Assert.Equal("RUN echo a     bc", run.Original);
        Assert.Equal((2, 4), (run.StartLine, run.EndLine));
    }

    [Fact]
    public void Trailing_blanks_after_the_escape_still_continue()
    {
        var ast = DockerfileParser.Parse("RUN a \\ \t\nb\n");

        Assert.Equal("a b", ast.Children[0].Arguments[0]);
    }

    [Fact]
    public void An_escaped_escape_at_the_end_does_not_continue()
    {
        var ast = DockerfileParser.Parse("ENV C trailing\\\\\nENV D next\n");

        Assert.Equal(2, ast.Children.Count);
        Assert.Equal("trailing\\\\", ast.Children[0].Arguments[1]);
    }

    [Fact]
    public void Comments_inside_a_continuation_are_skipped()
    {
        var ast = DockerfileParser.Parse("RUN a \\\n# note\n   # indented note\n  b\n");

        var run = Assert.Single(ast.Children);
        Assert.Equal("a   b", run.Arguments[0]);
        Assert.Equal((1, 4), (run.StartLine, run.EndLine));
        Assert.Empty(ast.Warnings);
    }

    [Fact]
    public void An_empty_continuation_line_warns_but_joins()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN a \\\n\n   \nb\n");

        Assert.Equal("a b", ast.Children[1].Arguments[0]);
        var warning = Assert.Single(ast.Warnings);
        Assert.Equal("NoEmptyContinuation", warning.Rule);
        Assert.Contains("RUN a b", warning.Message);
        Assert.Equal((2, 5), (warning.StartLine, warning.EndLine));
    }

    [Fact]
    public void Only_instructions_with_empty_continuation_lines_warn()
    {
        var text = "FROM a\n\nRUN valid \\\n    continuation\n\nRUN something \\\n\n    following \\\n\n    more\n\n"
            + "RUN another \\\n\n    thing\n\nRUN non-indented \\\n# comment\n   after\n\nRUN indented \\\n    # comment\n    comment\n";

        var ast = DockerfileParser.Parse(text);

        Assert.Equal(6, ast.Children.Count);
        Assert.Collection(
            ast.Warnings,
            w => Assert.Contains("RUN something     following     more", w.Message),
            w => Assert.Contains("RUN another     thing", w.Message));
        Assert.Equal((6, 10), (ast.Warnings[0].StartLine, ast.Warnings[0].EndLine));
    }

    [Fact]
    public void A_continuation_at_end_of_file_ends_the_instruction()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN something \\");

        Assert.Equal("(run \"something\")", ast.Children[1].Dump());
        Assert.Equal((2, 2), (ast.Children[1].StartLine, ast.Children[1].EndLine));
    }

    [Fact]
    public void Crlf_line_endings_are_handled()
    {
        var ast = DockerfileParser.Parse("FROM a\r\nRUN a \\\r\n  b\r\n");

        Assert.Equal("a   b", ast.Children[1].Arguments[0]);
    }

    [Fact]
    public void Comments_directly_above_are_kept_and_empty_hash_resets_them()
    {
        var ast = DockerfileParser.Parse("# old\n#\n# first\n  # second  \nFROM a\nRUN x\n");

        Assert.Equal(["first", "second"], ast.Children[0].PrevComments);
        Assert.Empty(ast.Children[1].PrevComments);
    }

    [Fact]
    public void Keyword_is_lower_case_and_original_keeps_case()
    {
        var ast = DockerfileParser.Parse("  fRoM Alpine\n");

        Assert.Equal("from", ast.Children[0].Keyword);
        Assert.Equal("fRoM Alpine", ast.Children[0].Original);
        Assert.Equal(["Alpine"], ast.Children[0].Arguments);
    }
}
