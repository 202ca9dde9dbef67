using Builder.Snapshotter.Context;

namespace Builder.Snapshotter.Tests.Context;

public sealed class DockerIgnoreFileTests
{
    private static IReadOnlyList<string> Parse(string text) => DockerIgnoreFile.Parse(new StringReader(text));

    [Fact]
    public void SkipsCommentsAndBlankLinesAndTrims()
    {
        var patterns = Parse("# comment\n\n   \n*.md\n  node_modules  \n\t.git\t\n# another\n");
        Assert.Equal(["*.md", "node_modules", ".git"], patterns);
    }

    [Fact]
    public void OnlyAHashInTheFirstColumnIsAComment()
        => Assert.Equal(["# not a comment", "a#b"], Parse("  # not a comment\na#b\n"));

    [Fact]
    public void CleansPathsAndDropsLeadingSlash()
    {
        var patterns = Parse("/foo\n./bar/\nbaz//qux/.\na/b/../c\n/\n.\n../up\n");
        Assert.Equal(["foo", "bar", "baz/qux", "a/c", "/", ".", "../up"], patterns);
    }

    [Fact]
    public void KeepsExceptionsAndCleansWhatFollowsTheBang()
        => Assert.Equal(["*.md", "!README.md", "!docs/x"], Parse("*.md\n!README.md\n!  /docs/./x/ \n"));

    [Fact]
    public void HandlesCrLfAndByteOrderMark()
        => Assert.Equal(["a", "b"], Parse("\uFEFFa\r\nb\r\n"));

    [Fact]
    public void EmptyFileGivesNoPatterns() => Assert.Empty(Parse(""));

    [Fact]
    public void InvalidPatternNamesTheLine()
    {
        var error = Assert.Throws<InvalidPatternException>(() => Parse("# header\nok\n\nbad[\n"));
        Assert.Equal(4, error.LineNumber);
        Assert.Equal("bad[", error.Pattern);
        Assert.Equal(".dockerignore line 4: invalid pattern \"bad[\": unterminated character class", error.Message);
    }

    [Fact]
    public void LoneExclamationNamesTheLine()
    {
        var error = Assert.Throws<InvalidPatternException>(() => Parse("a\n  !  \n"));
        Assert.Equal(2, error.LineNumber);
        Assert.Equal(".dockerignore line 2: illegal exclusion pattern \"!\"", error.Message);
    }

    [Fact]
    public void ParsedPatternsDriveTheMatcher()
    {
        var matcher = new PatternMatcher(Parse("# build outputs\n/bin\n*.md\n!README.md\n**/*.tmp\n"));
        Assert.True(matcher.Excludes("bin/app"));
        Assert.False(matcher.Excludes("src/bin/app"));
        Assert.True(matcher.Excludes("CHANGES.md"));
        Assert.False(matcher.Excludes("README.md"));
        Assert.True(matcher.Excludes("a/b/c.tmp"));
        Assert.False(matcher.Excludes("src/main.cs"));
    }

    [Fact]
    public void ArgumentsAreChecked()
        => Assert.Equal("reader", Assert.Throws<ArgumentNullException>(() => DockerIgnoreFile.Parse(null!)).ParamName);
}
