using Builder.Frontend.Shell;

namespace Builder.Frontend.Tests.Shell;

public sealed class ShellLexTests
{
    private static readonly ShellLex Lex = new();

    private static ShellEnvironment Env(params string[] entries) => ShellEnvironment.FromEntries(entries);

    private static string Expand(string word, params string[] entries) => Lex.ProcessWord(word, Env(entries)).Result;

    [Theory]
    [InlineData("$FOO", "xxx")]
    [InlineData("${FOO}", "xxx")]
    [InlineData("${FOO}bar", "xxxbar")]
    [InlineData("$FOO.bar", "xxx.bar")]
    [InlineData("$FOO_bar", "")]
    [InlineData("pre-$FOO-post", "pre-xxx-post")]
    [InlineData("$", "$")]
    [InlineData("a$ b", "a$ b")]
    [InlineData("$/x", "$/x")]
    public void ExpandsPlainReferences(string word, string expected)
        => Assert.Equal(expected, Expand(word, "FOO=xxx"));

    [Theory]
    [InlineData("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", "xxx  ccc")]
    [InlineData("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", "xxx bbb ccc")]
    [InlineData("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", "aaa bbb ")]
    [InlineData("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", "aaa  ")]
    [InlineData("${FOO?aaa} ${BAR?bbb}", "xxx ")]
    [InlineData("${FOO:?aaa}", "xxx")]
    [InlineData("${BAZ:-$FOO}", "xxx")]
    [InlineData("${BAZ:-\"a  b\"}", "a  b")]
    [InlineData("${BAZ:-'$FOO'}", "$FOO")]
    [InlineData("${FOO:+-${FOO}-}", "-xxx-")]
    public void ConditionalModifiersDistinguishUnsetFromEmpty(string word, string expected)
        => Assert.Equal(expected, Expand(word, "FOO=xxx", "BAR="));

    [Theory]
    [InlineData("${FOO#x}", "xyy")]
    [InlineData("${FOO##x}", "xyy")]
    [InlineData("${FOO#*x}", "xyy")]
    [InlineData("${FOO##*x}", "yy")]
    [InlineData("${FOO#*x*y}", "y")]
    [InlineData("${FOO#*}", "xxyy")]
    [InlineData("${FOO##*}", "")]
    [InlineData("${FOO#}", "xxyy")]
    [InlineData("${FOO#z}", "xxyy")]
    [InlineData("${FOO#?}", "xyy")]
    [InlineData("${FOO#$X}", "xyy")]
    [InlineData("${FOO%y}", "xxy")]
    [InlineData("${FOO%y*}", "xxy")]
    [InlineData("${FOO%%y*}", "xx")]
    [InlineData("${FOO%%x*}", "")]
    [InlineData("${FOO%}", "xxyy")]
    [InlineData("${FOO%?}", "xxy")]
    [InlineData("${FOO#[a-x]}", "xyy")]
    [InlineData("${FOO##[!y]*[x]}", "yy")]
    [InlineData("${FOO%[^x]}", "xxy")]
    [InlineData("${NOPE#x}", "")]
    public void TrimModifiersRemoveShortestOrLongestMatch(string word, string expected)
        => Assert.Equal(expected, Expand(word, "FOO=xxyy", "X=x"));

    [Fact]
    public void TrimPatternsHonourEscapes()
    {
        Assert.Equal("xx", Expand("${FOO%%\\**}", "FOO=xx**"));
        Assert.Equal("a", Expand("${FOO%%\\**\\*}", "FOO=a***yy*"));
        Assert.Equal("?y", Expand("${FOO#?\\?}", "FOO=???y"));
        // '}' must be escaped inside the pattern; unterminated '[' is literal.
        Assert.Equal("x", Expand("${FOO#()[]{\\}^$.\\*\\?|\\\\}", "FOO=()[]{}^$.*?|\\x"));
    }

    [Fact]
    public void TrimWorksOnCodePointsNotUtf16Units()
    {
        Assert.Equal("🚀👽", Expand("${V#?}", "V=🖖🚀👽"));
        Assert.Equal("🖖", Expand("${V%%🚀*}", "V=🖖🚀👽"));
        Assert.Equal("한국", Expand("${V%?}", "V=한국어"));
    }

    [Theory]
    [InlineData("${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", "/foo.*/*.txt - /foo..*.txt", "FOO=/foo*/*/*.txt", "NEEDLE=\\*/")]
    [InlineData("${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", "/tmp/bar.txt - /bar.txt", "FOO=/tmp/tmp/bar.txt", "NEEDLE=/tmp")]
    [InlineData("${FOO/$NEEDLE/$R} - ${FOO//$NEEDLE/$R}", "/foo/b/c.txt - /foo/c.txt", "FOO=/a/foo/b/c.txt", "NEEDLE=/?/", "R=/")]
    [InlineData("${FOO/http:\\/\\//https://}", "https://google.de", "FOO=http://google.de")]
    [InlineData("${FOO//\\//\\/}", "\\/tmp\\/foo.txt", "FOO=/tmp/foo.txt")]
    [InlineData("${FOO/o*/0}", "f0", "FOO=foo.go")]
    [InlineData("${FOO//[aeiou]/_}", "f__b__r", "FOO=fooboar")]
    [InlineData("${FOO///}", "xxyy", "FOO=xxyy")]
    [InlineData("${FOO/z/y}", "xxyy", "FOO=xxyy")]
    [InlineData("${FOO//x*/-}", "-", "FOO=xxyy")]
    [InlineData("${NOPE/x/y}", "")]
    public void ReplaceModifiersReplaceFirstOrAllLongestMatches(string word, string expected, params string[] env)
        => Assert.Equal(expected, Expand(word, env));

    [Fact]
    public void ReplaceAllTreatsEmptyMatchesLikeGoRegexp()
    {
        // An empty pattern matches between every character; an empty match right after a match is skipped.
        Assert.Equal("-a-b-", Expand("${V//$EMPTY/-}", "V=ab", "EMPTY="));
        Assert.Equal("-ab", Expand("${V/$EMPTY/-}", "V=ab", "EMPTY="));
        Assert.Equal("-", Expand("${V//*/-}", "V=ab"));
    }

    [Theory]
    [InlineData("'$FOO'", "$FOO")]
    [InlineData("\"$FOO\"", "xxx")]
    [InlineData("\"'$FOO'\"", "'xxx'")]
    [InlineData("'\"$FOO\"'", "\"$FOO\"")]
    [InlineData("a'b c'd", "ab cd")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\tb\"", "a\\tb")]
    [InlineData("\\$FOO", "$FOO")]
    [InlineData("\\\\$FOO", "\\xxx")]
    [InlineData("a\\ b", "a b")]
    [InlineData("trailing\\", "trailing")]
    public void QuotesAndBackslashEscapes(string word, string expected)
        => Assert.Equal(expected, Expand(word, "FOO=xxx"));

    [Theory]
    [InlineData("`$FOO", "$FOO")]
    [InlineData("``$FOO", "`xxx")]
    [InlineData("C:\\dir\\$FOO", "C:\\dir\\xxx")]
    [InlineData("\"a`\"b\"", "a\"b")]
    [InlineData("\"a\\b\"", "a\\b")]
    [InlineData("a` b", "a b")]
    [InlineData("${FOO#`*}", "xxx")]
    [InlineData("${STAR#`*}", "*x")]
    [InlineData("${WIN#C:\\}", "dir")]
    public void BacktickEscapeToken(string word, string expected)
    {
        var lex = new ShellLex('`');
        Assert.Equal('`', lex.EscapeToken);
        Assert.Equal(expected, lex.ProcessWord(word, Env("FOO=xxx", "STAR=**x", "WIN=C:\\dir")).Result);
    }

    [Fact]
    public void BacktickEscapeTokenSplitsWords()
        => Assert.Equal(["a b", "c"], new ShellLex('`').ProcessWords("a` b c", ShellEnvironment.Empty));

    [Fact]
    public void RejectsOtherEscapeTokens()
    {
        var error = Assert.Throws<ArgumentException>(() => new ShellLex('^'));
        Assert.Equal("escapeToken", error.ParamName);
        Assert.StartsWith("The escape token must be '\\' or '`'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportsMatchedAndUnmatchedVariables()
    {
        var result = Lex.ProcessWord("${A} $B ${C:-$D} ${E:+x} \\$F '$G' \"$H\" ${I#$J}", Env("A=1", "C=", "E=e", "H=h", "I=i"));
        Assert.Equal(["A", "C", "E", "H", "I"], result.Matched.Order(StringComparer.Ordinal));
        Assert.Equal(["B", "D", "J"], result.Unmatched.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void NoVariablesGivesEmptySets()
    {
        var result = Lex.ProcessWord("plain", Env("A=1"));
        Assert.Equal("plain", result.Result);
        Assert.Empty(result.Matched);
        Assert.Empty(result.Unmatched);
    }

    [Fact]
    public void UnsetVariableWithDefaultIsStillReportedUnmatched()
    {
        // The lead uses this to warn about ARGs in FROM that have no value.
        var result = Lex.ProcessWord("alpine:${TAG:-latest}", ShellEnvironment.Empty);
        Assert.Equal("alpine:latest", result.Result);
        Assert.Equal(["TAG"], result.Unmatched);
        Assert.Empty(result.Matched);
    }

    [Fact]
    public void ExpandWordsReportsWordsAndVariables()
    {
        var result = Lex.ExpandWords("80/tcp $PORTS \"${LABEL} x\" $NONE", Env("PORTS=443  8080", "LABEL=a"));
        Assert.Equal(["80/tcp", "443", "8080", "a x"], result.Words);
        Assert.Equal(["LABEL", "PORTS"], result.Matched.Order(StringComparer.Ordinal));
        Assert.Equal(["NONE"], result.Unmatched);
    }

    [Fact]
    public void ProcessWordsDropsEmptyWords()
        => Assert.Equal(["a", "b"], Lex.ProcessWords("  a \"\" $EMPTY  b  ", Env("EMPTY=")));

    [Fact]
    public void ProcessWordKeepsInnerSpaces()
        => Assert.Equal("  a  b ", Expand("  a  $V ", "V=b"));

    [Theory]
    [InlineData("${V:?must be set}", "V: must be set")]
    [InlineData("${V?must be set}", "V: must be set")]
    [InlineData("${V:?}", "V: is not allowed to be unset")]
    [InlineData("${V?}", "V: is not allowed to be unset")]
    [InlineData("${E:?}", "E: is not allowed to be empty")]
    [InlineData("${E:?need $M}", "E: need value")]
    [InlineData("${}", "syntax error: bad substitution")]
    [InlineData("${:-x}", "syntax error: bad substitution")]
    [InlineData("${{V}", "syntax error: bad substitution")]
    [InlineData("${V", "syntax error: missing '}'")]
    [InlineData("${", "syntax error: missing '}'")]
    [InlineData("${V:-x", "syntax error: missing '}'")]
    [InlineData("${V#x", "syntax error: missing '}'")]
    [InlineData("${V/x", "syntax error: missing '/' in ${}")]
    [InlineData("${V/x/y", "syntax error: missing '}'")]
    [InlineData("${V:=x}", "unsupported modifier (:=) in substitution")]
    [InlineData("${V=x}", "unsupported modifier (=) in substitution")]
    [InlineData("${.}", "unsupported modifier (.) in substitution")]
    [InlineData("'open", "unexpected end of statement while looking for matching single-quote")]
    [InlineData("\"open", "unexpected end of statement while looking for matching double-quote")]
    [InlineData("\"open\\\"", "unexpected end of statement while looking for matching double-quote")]
    public void ErrorsNameTheWordAndTheCause(string word, string cause)
    {
        var error = Assert.Throws<ShellExpansionException>(() => Lex.ProcessWord(word, Env("E=", "M=value")));
        Assert.Equal($"failed to process \"{word}\": {cause}", error.Message);
    }

    [Fact]
    public void ConditionalErrorAllowsSetButEmptyWithoutColon()
        => Assert.Equal("", Expand("${E?msg}", "E="));

    [Fact]
    public void ProcessWordsFailsLikeProcessWord()
        => Assert.Throws<ShellExpansionException>(() => Lex.ProcessWords("a ${V:?no} b", ShellEnvironment.Empty));

    [Fact]
    public void ArgumentsAreChecked()
    {
        Assert.Equal("word", Assert.Throws<ArgumentNullException>(() => Lex.ProcessWord(null!, ShellEnvironment.Empty)).ParamName);
        Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => Lex.ProcessWord("x", null!)).ParamName);
        Assert.Equal("word", Assert.Throws<ArgumentNullException>(() => Lex.ProcessWords(null!, ShellEnvironment.Empty)).ParamName);
    }

    [Fact]
    public void EnvironmentEntriesParseLikeAProcessEnvironment()
    {
        var env = Env("A=1", "B", "C=x=y", "A=2");
        Assert.True(env.TryGet("A", out var a));
        Assert.Equal("2", a);
        Assert.True(env.TryGet("B", out var b));
        Assert.Equal("", b);
        Assert.True(env.TryGet("C", out var c));
        Assert.Equal("x=y", c);
        Assert.False(env.TryGet("a", out _)); // names are case-sensitive
    }
}
