using Builder.Frontend.Parser;

namespace Builder.Frontend.Tests.Parser;

public sealed class InstructionArgumentTests
{
    private static Node ParseOne(string line) => Assert.Single(DockerfileParser.Parse(line + "\n").Children);

    [Theory]
    [InlineData("CMD [\"a\", \"b c\"]", "(cmd \"a\" \"b c\")", true)]
    [InlineData("RUN [ ]", "(run)", true)]
    [InlineData("ENTRYPOINT [\"x\"] ", "(entrypoint \"x\")", true)]
    [InlineData("SHELL [\"pwsh\", \"-c\"]", "(shell \"pwsh\" \"-c\")", true)]
    [InlineData("CMD [\"\\u00e9\\ud83d\\ude00\"]", "(cmd \"é😀\")", true)]
    [InlineData("CMD ['a']", "(cmd \"['a']\")", false)]
    [InlineData("CMD [\"a\",]", "(cmd \"[\\\"a\\\",]\")", false)]
    [InlineData("CMD [\"a\"] tail", "(cmd \"[\\\"a\\\"] tail\")", false)]
    [InlineData("CMD [\"a\tb\"]", "(cmd \"[\\\"a\\tb\\\"]\")", false)] // raw control character: invalid JSON
    [InlineData("RUN echo [\"a\"]", "(run \"echo [\\\"a\\\"]\")", false)]
    public void Json_form_or_shell_form_fallback(string line, string dump, bool isJson)
    {
        var node = ParseOne(line);

        Assert.Equal(dump, node.Dump());
        Assert.Equal(isJson, node.IsJson);
    }

    [Theory]
    [InlineData("CMD [\"a\", 1]")]
    [InlineData("RUN [null]")]
    [InlineData("ENTRYPOINT [[\"x\"]]")]
    [InlineData("COPY [\"a\", {\"b\": true}]")]
    [InlineData("HEALTHCHECK CMD [false]")]
    public void Json_array_of_non_strings_is_an_error(string line)
    {
        var error = Assert.Throws<DockerfileException>(() => ParseOne(line));

        Assert.Contains("arrays must be comprised of strings only", error.Message);
        Assert.Equal(1, error.StartLine);
    }

    [Fact]
    public void Deeply_nested_json_beyond_the_limit_is_shell_form()
    {
        var line = "CMD " + new string('[', 20000) + new string(']', 20000);

        var node = ParseOne(line);

        Assert.False(node.IsJson);
        Assert.Equal(40000, node.Arguments[0].Length);
    }

    [Theory]
    [InlineData("ADD a b /c/", "(add \"a\" \"b\" \"/c/\")")]
    [InlineData("COPY [\"a b\", \"/c\"]", "(copy \"a b\" \"/c\")")]
    [InlineData("VOLUME /a /b", "(volume \"/a\" \"/b\")")]
    [InlineData("FROM --platform=$BUILDPLATFORM img AS build", "(from [\"--platform=$BUILDPLATFORM\"] \"img\" \"AS\" \"build\")")]
    [InlineData("EXPOSE 80/tcp\t443", "(expose \"80/tcp\" \"443\")")]
    [InlineData("USER me:group", "(user \"me:group\")")]
    [InlineData("WORKDIR /a b", "(workdir \"/a b\")")]
    [InlineData("STOPSIGNAL SIGKILL", "(stopsignal \"SIGKILL\")")]
    [InlineData("MAINTAINER Me <me@x>", "(maintainer \"Me <me@x>\")")]
    [InlineData("ARG A B=\"c d\" E=", "(arg \"A\" \"B=\\\"c d\\\"\" \"E=\")")]
    [InlineData("RUN", "(run)")]
    public void Per_instruction_argument_shapes(string line, string dump)
    {
        Assert.Equal(dump, ParseOne(line).Dump());
    }

    [Theory]
    [InlineData("COPY --from=build --chown=1:1 a b", new[] { "--from=build", "--chown=1:1" }, "a b")]
    [InlineData("COPY --link a b", new[] { "--link" }, "a b")]
    [InlineData("COPY --x=\"a b\" c d", new[] { "--x=a b" }, "c d")]
    [InlineData("COPY --x=a\\ b c d", new[] { "--x=a b" }, "c d")]
    [InlineData("COPY -- --weird d", new string[0], "--weird d")]
    [InlineData("COPY -x a b", new string[0], "-x a b")]
    [InlineData("RUN --network=none", new[] { "--network=none" }, "")]
    public void Flags_are_split_off(string line, string[] flags, string rest)
    {
        var node = ParseOne(line);

        Assert.Equal(flags, node.Flags);
        Assert.Equal(rest, string.Join(" ", node.Arguments));
    }

    [Theory]
    [InlineData("ENV A=1 B=\"two words\"", new[] { "A", "1", "=", "B", "\"two words\"", "=" })]
    [InlineData("ENV A 1 and more", new[] { "A", "1 and more", "" })]
    [InlineData("ENV A=", new[] { "A", "", "=" })]
    [InlineData("ENV A=b\\ c", new[] { "A", "b\\ c", "=" })]
    [InlineData("LABEL \"com.x\"=\"y z\" k=v", new[] { "\"com.x\"", "\"y z\"", "=", "k", "v", "=" })]
    [InlineData("LABEL maintainer Some One", new[] { "maintainer", "Some One", "" })]
    public void Env_and_label_pairs(string line, string[] triples)
    {
        Assert.Equal(triples, ParseOne(line).Arguments);
    }

    [Theory]
    [InlineData("ENV PATH", "ENV must have two arguments")]
    [InlineData("LABEL x", "LABEL must have two arguments")]
    [InlineData("ENV", "ENV requires at least one argument")]
    [InlineData("ENV =x", "ENV names can not be blank")]
    [InlineData("LABEL a=b =c", "LABEL names can not be blank")]
    [InlineData("ENV a=b c", "can't find = in \"c\"")]
    public void Env_and_label_errors(string line, string message)
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\n" + line + "\n"));

        Assert.Contains(message, error.Message);
        Assert.Equal((2, 2), (error.StartLine, error.EndLine));
    }

    [Theory]
    [InlineData("HEALTHCHECK NONE", "(healthcheck \"NONE\")")]
    [InlineData("HEALTHCHECK --interval=5s CMD curl -f http://x/ || exit 1", "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl -f http://x/ || exit 1\")")]
    [InlineData("HEALTHCHECK CMD [\"a\", \"b\"]", "(healthcheck \"CMD\" \"a\" \"b\")")]
    public void Healthcheck_forms(string line, string dump)
    {
        Assert.Equal(dump, ParseOne(line).Dump());
    }

    [Fact]
    public void Onbuild_nests_the_trigger()
    {
        var node = ParseOne("ONBUILD  copy --from=x [\"a\", \"b\"]");

        Assert.Equal("(onbuild (copy [\"--from=x\"] \"a\" \"b\"))", node.Dump());
        var trigger = node.Nested!;
        Assert.Equal("copy", trigger.Keyword);
        Assert.True(trigger.IsJson);
        Assert.Equal("copy --from=x [\"a\", \"b\"]", trigger.Original);
        Assert.Empty(node.Arguments);
    }

    [Theory]
    [InlineData("ONBUILD ONBUILD RUN x", "Chaining ONBUILD")]
    [InlineData("ONBUILD onbuild RUN x", "Chaining ONBUILD")]
    [InlineData("ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger")]
    [InlineData("ONBUILD maintainer me", "MAINTAINER isn't allowed as an ONBUILD trigger")]
    [InlineData("ONBUILD ENV A", "ENV must have two arguments")]
    public void Onbuild_trigger_errors(string line, string message)
    {
        var error = Assert.Throws<DockerfileException>(() => DockerfileParser.Parse("FROM a\n\n" + line + "\n"));

        Assert.Contains(message, error.Message);
        Assert.Equal(3, error.StartLine);
    }

    [Fact]
    public void Unknown_keywords_are_kept_with_their_text()
    {
        var ast = DockerfileParser.Parse("FROM a\nFOO --x=1 bar  baz\nBAR\n");

        Assert.Equal("(foo [\"--x=1\"] \"bar  baz\")", ast.Children[1].Dump());
        Assert.Equal("(bar)", ast.Children[2].Dump());
    }
}
