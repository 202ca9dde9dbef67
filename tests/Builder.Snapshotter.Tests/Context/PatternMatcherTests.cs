using Builder.Snapshotter.Context;

namespace Builder.Snapshotter.Tests.Context;

public sealed class PatternMatcherTests
{
    private static bool Excludes(string path, params string[] patterns) => new PatternMatcher(patterns).Excludes(path);

    // Examples from Docker's .dockerignore documentation.
    [Theory]
    [InlineData("*/temp*", "somedir/temporary.txt", true)]
    [InlineData("*/temp*", "somedir/temp", true)]
    [InlineData("*/temp*", "temp", false)]
    [InlineData("*/temp*", "a/b/temp.txt", false)]
    [InlineData("*/*/temp*", "somedir/subdir/temporary.txt", true)]
    [InlineData("*/*/temp*", "somedir/temporary.txt", false)]
    [InlineData("temp?", "tempa", true)]
    [InlineData("temp?", "tempb/file", true)]
    [InlineData("temp?", "temp", false)]
    [InlineData("temp?", "tempab", false)]
    [InlineData("temp?", "dir/tempa", false)]
    [InlineData("**/*.go", "main.go", true)]
    [InlineData("**/*.go", "cmd/tool/main.go", true)]
    [InlineData("**/*.go", "main.go.txt", false)]
    [InlineData("*.md", "README.md", true)]
    [InlineData("*.md", "docs/README.md", false)]
    public void DocumentedExamples(string pattern, string path, bool excluded)
        => Assert.Equal(excluded, Excludes(path, pattern));

    [Theory]
    // Leading and trailing slashes, "." segments, cleaning.
    [InlineData("/foo", "foo", true)]
    [InlineData("/foo", "foo/bar", true)]
    [InlineData("/foo", "x/foo", false)]
    [InlineData("foo/", "foo", true)]
    [InlineData("foo/", "foo/bar.txt", true)]
    [InlineData("./foo//bar/", "foo/bar/baz", true)]
    [InlineData("foo/../bar", "bar", true)]
    [InlineData("foo/../bar", "foo", false)]
    [InlineData(".", "anything", false)]
    [InlineData("  spaced  ", "spaced", true)]
    // A matched directory excludes everything below it.
    [InlineData("docs", "docs/a/b/c.txt", true)]
    [InlineData("docs/*", "docs/a/b/c.txt", true)]
    [InlineData("a*", "ab/c", true)]
    [InlineData("**/dir", "x/y/dir/file", true)]
    // '*' and '?' never cross '/'.
    [InlineData("a*/b", "abc/b", true)]
    [InlineData("a*/b", "a/c/b", false)]
    [InlineData("a?b", "a/b", false)]
    [InlineData("a*b", "a/b", false)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxexxx/f", true)]
    [InlineData("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzx", true)]
    [InlineData("a*b?c*x", "abxbbxdbxebxczzy", false)]
    [InlineData("*x", "xxx", true)]
    // '**'.
    [InlineData("**", "file", true)]
    [InlineData("**", "dir/file", true)]
    [InlineData("**/", "dir/file", true)]
    [InlineData("dir/**", "dir/file", true)]
    [InlineData("dir/**", "dir/dir2/file", true)]
    [InlineData("abc/**", "abc", false)]
    [InlineData("**/dir", "dir", true)]
    [InlineData("**/dir2/*", "dir/dir2/file", true)]
    [InlineData("**/dir2/**", "dir/dir2/dir3/file", true)]
    [InlineData("**file", "dir/dir/file", true)]
    [InlineData("**file", "dir/myfile", true)]
    [InlineData("**/file", "dir/myfile", false)]
    [InlineData("**/file*.txt", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt", "dir/dir/file.txt", true)]
    [InlineData("**/**/*.txt", "file.txt", true)]
    [InlineData("**/**/*.txt2", "dir/dir/file.txt", false)]
    [InlineData("a**/*.txt", "a/file.txt", true)]
    [InlineData("a**/*.txt", "a/dir/dir/file.txt", true)]
    [InlineData("a/*.txt", "a/dir/file.txt", false)]
    [InlineData("a/*.txt**", "a/file.txt", true)]
    [InlineData("**/foo/bar", "foo/bar", true)]
    [InlineData("**/foo/bar", "dir/dir2/foo/bar", true)]
    [InlineData("**/.foo", ".foo", true)]
    [InlineData("**/.foo", "bar.foo", false)]
    // Character classes (Go filepath.Match syntax: '^' negates, '\' escapes).
    [InlineData("a[b-d]e", "ace", true)]
    [InlineData("a[b-d]e", "ae", false)]
    [InlineData("a[b-d]e", "aae", false)]
    [InlineData("a[^b-d]e", "aze", true)]
    [InlineData("a[^b-d]e", "ace", false)]
    [InlineData("ab[c]", "abc", true)]
    [InlineData("[\\]a]", "]", true)]
    [InlineData("[\\-x]", "-", true)]
    [InlineData("[x\\-]", "z", false)]
    [InlineData("[a-ζ]*", "α", true)]
    [InlineData("*[a-ζ]", "A", false)]
    // Code points, not UTF-16 units.
    [InlineData("a?b", "a☺b", true)]
    [InlineData("a[^a]b", "a☺b", true)]
    [InlineData("a???b", "a☺b", false)]
    [InlineData("x?y", "x😀y", true)]
    // Regex metacharacters are literal; '\' escapes.
    [InlineData(".*", ".foo", true)]
    [InlineData(".*", "foo", false)]
    [InlineData("abc.def", "abcZdef", false)]
    [InlineData("abc?def", "abcZdef", true)]
    [InlineData("a(b)c/def", "a(b)c/def", true)]
    [InlineData("a.|)$(}+{bc", "a.|)$(}+{bc", true)]
    [InlineData("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true)]
    [InlineData("a\\*b", "a*b", true)]
    [InlineData("a\\*b", "axb", false)]
    [InlineData("a\\\\", "a\\", true)]
    public void SinglePattern(string pattern, string path, bool excluded)
        => Assert.Equal(excluded, Excludes(path, pattern));

    [Fact]
    public void LastMatchingPatternWins()
    {
        Assert.False(Excludes("README.md", "*.md", "!README.md"));
        Assert.True(Excludes("CHANGES.md", "*.md", "!README.md"));
        Assert.True(Excludes("README.md", "!README.md", "*.md"));
        Assert.True(Excludes("README-secret.md", "*.md", "!README*.md", "README-secret.md"));
        Assert.False(Excludes("README-public.md", "*.md", "!README*.md", "README-secret.md"));
    }

    [Fact]
    public void ExceptionReincludesFileInsideExcludedDirectory()
    {
        string[] patterns = ["docs", "!docs/README.md"];
        Assert.False(Excludes("docs/README.md", patterns));
        Assert.True(Excludes("docs/other.md", patterns));
        Assert.True(Excludes("docs", patterns));
        Assert.False(Excludes("docs/README.md", "docs/", "!docs/README.md"));
        Assert.False(Excludes("docs/README.md", "docs/*", "!docs/README.md"));
    }

    [Fact]
    public void ExceptionOnDirectoryReincludesItsContents()
    {
        Assert.False(Excludes("util/docker/web/foo", "**", "!util/docker/web"));
        Assert.True(Excludes("util/docker/web/foo", "**", "!util/docker/web", "util/docker/web/foo"));
        Assert.False(Excludes("dist/a.whl", "**", "!dist/*.whl"));
    }

    [Fact]
    public void RootIsNeverExcluded()
    {
        Assert.False(Excludes(".", "**"));
        Assert.False(Excludes("", "*"));
    }

    [Fact]
    public void NoPatternsExcludeNothing()
    {
        var matcher = new PatternMatcher([]);
        Assert.False(matcher.Excludes("any/path/there"));
        Assert.False(matcher.HasExceptions);
        Assert.Empty(matcher.Patterns);
    }

    [Fact]
    public void PatternsAreTrimmedCleanedAndFlagged()
    {
        var matcher = new PatternMatcher(["docs", "", "   ", "  !docs/README.md  ", "/abs/./x/", "! spaced"]);
        Assert.True(matcher.HasExceptions);
        Assert.Equal(["docs", "!docs/README.md", "abs/x", "!spaced"], matcher.Patterns.Select(p => p.ToString()));
        Assert.Equal([false, true, false, true], matcher.Patterns.Select(p => p.IsException));
    }

    [Theory]
    [InlineData("[", "unterminated character class")]
    [InlineData("a[", "unterminated character class")]
    [InlineData("[^bc", "unterminated character class")]
    [InlineData("[]a]", "unescaped ']' in character class")]
    [InlineData("[-]", "unescaped '-' in character class")]
    [InlineData("[x-]", "unescaped ']' in character class")]
    [InlineData("[a-b-c]", "unescaped '-' in character class")]
    [InlineData("\\", "trailing escape character")]
    [InlineData("foo\\", "trailing escape character")]
    public void MalformedPatternsAreRejected(string pattern, string reason)
    {
        var error = Assert.Throws<InvalidPatternException>(() => new PatternMatcher([pattern]));
        Assert.Equal($"invalid pattern \"{pattern}\": {reason}", error.Message);
        Assert.Equal(pattern, error.Pattern);
        Assert.Null(error.LineNumber);
    }

    [Fact]
    public void LoneExclamationIsRejected()
    {
        var error = Assert.Throws<InvalidPatternException>(() => new PatternMatcher(["!"]));
        Assert.Equal("illegal exclusion pattern: \"!\"", error.Message);
    }

    [Theory]
    [InlineData("docs/README.md", "docs", true)]
    [InlineData("docs/README.md", "doc", false)]
    [InlineData("docs/README.md", "other", false)]
    [InlineData("docs/sub/README.md", "docs", true)]
    [InlineData("docs", "docs", false)]
    [InlineData("**/keep", "any/where", true)]
    [InlineData("*/keep", "a", true)]
    [InlineData("*/keep", "a/b", false)]
    [InlineData("src/*/keep", "src/x", true)]
    [InlineData("src/*/keep", "lib/x", false)]
    [InlineData("a[bc]/keep", "ab", true)]
    [InlineData("a[bc]/keep", "ad", false)]
    [InlineData("**keep", "x", true)]
    public void MayReincludeBelowLooksForExceptionsThatCouldMatchInside(string exception, string directory, bool expected)
    {
        var matcher = new PatternMatcher(["**", "!" + exception]);
        Assert.Equal(expected, matcher.MayReincludeBelow(directory));
    }

    [Fact]
    public void MayReincludeBelowIsFalseWithoutExceptions()
        => Assert.False(new PatternMatcher(["**"]).MayReincludeBelow("docs"));

    [Fact]
    public void ArgumentsAreChecked()
    {
        Assert.Equal("patterns", Assert.Throws<ArgumentNullException>(() => new PatternMatcher(null!)).ParamName);
        Assert.Equal("patterns", Assert.Throws<ArgumentNullException>(() => new PatternMatcher([null!])).ParamName);
        Assert.Equal("relativePath", Assert.Throws<ArgumentNullException>(() => new PatternMatcher([]).Excludes(null!)).ParamName);
    }
}
