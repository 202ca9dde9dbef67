using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Parser;

/// <summary>The dump quotes like Go's strconv.Quote.</summary>
public sealed class DumpQuotingTests
{
    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("a\"b\\c", "\"a\\\"b\\\\c\"")]
    [InlineData("\a\b\f\n\r\t\v", "\"\\a\\b\\f\\n\\r\\t\\v\"")]
    [InlineData("\u0000\u001b\u007f", "\"\\x00\\x1b\\x7f\"")]
    [InlineData("é☃😀", "\"é☃😀\"")]
    [InlineData("\u00a0\u2028\u200b", "\"\\u00a0\\u2028\\u200b\"")]
    [InlineData("\U000E0001", "\"\\U000e0001\"")]
    public void Arguments_are_quoted_go_style(string argument, string quoted)
    {
        var node = new Node { Keyword = "x", Arguments = [argument] };

        Assert.Equal("(x " + quoted + ")", node.Dump());
    }

    [Fact]
    public void Flags_nested_and_arguments_in_order()
    {
        var node = new Node
        {
            Keyword = "onbuild",
            Flags = ["--a", "--b=\"q\""],
            Nested = new Node { Keyword = "run", Arguments = ["x"] },
        };

        Assert.Equal("(onbuild [\"--a\" \"--b=\\\"q\\\"\"] (run \"x\"))", node.Dump());
    }

    [Fact]
    public void Ast_dump_is_one_line_per_instruction()
    {
        var ast = DockerfileParser.Parse("FROM a\nCMD [\"b\"]\n");

        Assert.Equal("(from \"a\")\n(cmd \"b\")\n", ast.Dump());
    }
}
