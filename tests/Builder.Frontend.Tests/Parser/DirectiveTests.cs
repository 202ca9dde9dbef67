using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Parser;

public sealed class DirectiveTests
{
    [Fact]
    public void Directives_at_the_top_are_recorded_lower_case()
    {
        var ast = DockerfileParser.Parse("# Syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\nFROM a\n");

        Assert.Equal("docker/dockerfile:1", ast.Directives["syntax"]);
        Assert.Equal("`", ast.Directives["escape"]);
        Assert.Equal("skip=all", ast.Directives["check"]);
        Assert.Equal('`', ast.EscapeToken);
        Assert.Empty(ast.Children[0].PrevComments); // directives are not comments of FROM
    }

    [Fact]
    public void Default_escape_is_backslash()
    {
        var ast = DockerfileParser.Parse("FROM a\n");

        Assert.Equal('\\', ast.EscapeToken);
        Assert.Empty(ast.Directives);
    }

    [Theory]
    [InlineData("# escape=`\n# escape=\\\nFROM a\n", "escape", 2)]
    [InlineData("# syntax=a\n# SYNTAX=b\nFROM a\n", "syntax", 2)]
    [InlineData("# check=a\n# syntax=x\n# Check=b\nFROM a\n", "check", 3)]
    public void A_repeated_directive_is_an_error_on_its_line(string text, string name, int line)
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse(text));

        Assert.Contains($"only one {name} parser directive", error.Message);
        Assert.Equal(line, error.StartLine);
    }

    [Fact]
    public void An_invalid_escape_token_is_an_error()
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("# escape=x\nFROM a\n"));

        Assert.Contains("invalid escape token", error.Message);
        Assert.Equal(1, error.StartLine);
    }

    [Theory]
    [InlineData("FROM a\n# escape=`\nRUN echo `\n  b\n")] // after an instruction
    [InlineData("# hello\n# escape=`\nFROM a\nRUN echo `\n  b\n")] // after a plain comment
    [InlineData("\n# escape=`\nFROM a\nRUN echo `\n  b\n")] // after a blank line
    [InlineData("# unknown=1\n# escape=`\nFROM a\nRUN echo `\n  b\n")] // after an unknown directive
    public void A_late_directive_is_only_a_comment(string text)
    {
        var ast = DockerfileParser.Parse(text);

        Assert.Equal('\\', ast.EscapeToken);
        Assert.False(ast.Directives.ContainsKey("escape"));
        var run = ast.Children.Single(n => n.Keyword == "run");
        Assert.Equal("echo `", run.Arguments[0]); // backtick did not continue the line
    }

    [Fact]
    public void A_repeated_directive_after_the_section_ended_is_not_an_error()
    {
        var ast = DockerfileParser.Parse("# escape=`\n\n# escape=\\\nFROM a\n");

        Assert.Equal('`', ast.EscapeToken);
        Assert.Equal(["escape=\\"], ast.Children[0].PrevComments);
    }

    [Fact]
    public void Backtick_escape_continues_lines_and_leaves_backslashes_alone()
    {
        var ast = DockerfileParser.Parse("# escape=`\nFROM a\nRUN dir c:\\ `\n  && echo done\nCOPY a\\b c:\\dest\\\n");

        Assert.Equal("(run \"dir c:\\\\   && echo done\")", ast.Children[1].Dump());
        Assert.Equal(["a\\b", "c:\\dest\\"], ast.Children[2].Arguments);
    }

    [Fact]
    public void Backtick_escape_applies_to_env_words()
    {
        var ast = DockerfileParser.Parse("# escape=`\nFROM a\nENV A=x`\"y\\ B=\"q`\"r\"\n");

        Assert.Equal(["A", "x`\"y\\", "=", "B", "\"q`\"r\"", "="], ast.Children[1].Arguments);
    }

    [Fact]
    public void A_byte_order_mark_before_a_directive_is_ignored()
    {
        var ast = DockerfileParser.Parse("\uFEFF# escape=`\nFROM a\n");

        Assert.Equal('`', ast.EscapeToken);
    }
}
