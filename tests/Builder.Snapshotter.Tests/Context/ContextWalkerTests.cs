using System.Runtime.InteropServices;
using Builder.Snapshotter.Context;

namespace Builder.Snapshotter.Tests.Context;

public sealed class ContextWalkerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("context-walker-").FullName;

    public ContextWalkerTests()
    {
        Write("Dockerfile");
        Write(".dockerignore");
        Write(".hidden");
        Write("README.md");
        Write("CHANGES.md");
        Write("a.txt");
        Write("a/b");
        Write("build/out.o");
        Write("build/deep/x.o");
        Write("docs/keep.md");
        Write("docs/drop.md");
        Write("docs/sub/other.md");
        Write("src/main.go");
        Write("src/pkg/util.go");
        File.CreateSymbolicLink(Path.Join(_root, "link-to-src"), "src");
        File.CreateSymbolicLink(Path.Join(_root, "link-to-readme"), "README.md");
        File.CreateSymbolicLink(Path.Join(_root, "dangling"), "nowhere");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relativePath, string content = "x")
    {
        var path = Path.Join(_root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static List<string> Paths(IEnumerable<ContextEntry> entries) => entries.Select(e => e.RelativePath).ToList();

    [Fact]
    public void WithoutExcludesListsEverythingDepthFirstInNameOrder()
    {
        var entries = new ContextWalker(_root).Walk(TestContext.Current.CancellationToken).ToList();
        Assert.Equal(
        [
            ".dockerignore", ".hidden", "CHANGES.md", "Dockerfile", "README.md",
            "a", "a/b", "a.txt",
            "build", "build/deep", "build/deep/x.o", "build/out.o",
            "dangling",
            "docs", "docs/drop.md", "docs/keep.md", "docs/sub", "docs/sub/other.md",
            "link-to-readme", "link-to-src",
            "src", "src/main.go", "src/pkg", "src/pkg/util.go",
        ], Paths(entries));
        Assert.All(entries, e => Assert.Equal(Path.Join(_root, e.RelativePath), e.FullPath));
    }

    [Fact]
    public void ExcludedFilesAreAbsentAndExceptionsArePresent()
    {
        var matcher = new PatternMatcher(["build", "*.md", "!README.md", "docs", "!docs/keep.md", "**/*.o", "dangling"]);
        var paths = Paths(new ContextWalker(_root, matcher).Walk(TestContext.Current.CancellationToken));
        Assert.Equal(
        [
            ".dockerignore", ".hidden", "Dockerfile", "README.md",
            "a", "a/b", "a.txt",
            "docs", "docs/keep.md",
            "link-to-readme", "link-to-src",
            "src", "src/main.go", "src/pkg", "src/pkg/util.go",
        ], paths);
    }

    [Fact]
    public void ExcludedDirectoriesArePrunedUnlessAnExceptionMightMatchInside()
    {
        var listed = new List<string>();
        var matcher = new PatternMatcher(["build", "docs", "!docs/keep.md"]);
        var walker = new ContextWalker(_root, matcher) { DirectoryListed = listed.Add };
        var paths = Paths(walker.Walk(TestContext.Current.CancellationToken));

        Assert.DoesNotContain(paths, p => p.StartsWith("build", StringComparison.Ordinal));
        Assert.Contains("docs/keep.md", paths);
        // "build" has no exception below it and "docs/sub" cannot hold "docs/keep.md": neither is read.
        Assert.Equal(["", "a", "docs", "src", "src/pkg"], listed);
    }

    [Fact]
    public void WildcardExceptionKeepsExcludedDirectoriesWalked()
    {
        var listed = new List<string>();
        var matcher = new PatternMatcher(["**", "!**/*.go"]);
        var walker = new ContextWalker(_root, matcher) { DirectoryListed = listed.Add };
        var paths = Paths(walker.Walk(TestContext.Current.CancellationToken));

        // Excluded directories are reported only when they end up holding an included entry.
        Assert.Equal(["src", "src/main.go", "src/pkg", "src/pkg/util.go"], paths);
        Assert.Equal(["", "a", "build", "build/deep", "docs", "docs/sub", "src", "src/pkg"], listed);
    }

    [Fact]
    public void ExcludedParentIsReportedOnceBeforeItsReincludedChildren()
    {
        Write("docs/sub/keep.md");
        var matcher = new PatternMatcher(["docs", "!docs/sub/keep.md", "!docs/keep.md"]);
        var paths = Paths(new ContextWalker(_root, matcher).Walk(TestContext.Current.CancellationToken)).Where(p => p.StartsWith("docs", StringComparison.Ordinal));
        Assert.Equal(["docs", "docs/keep.md", "docs/sub", "docs/sub/keep.md"], paths);
    }

    [Fact]
    public void SymbolicLinksAreListedNotFollowed()
    {
        var entries = new ContextWalker(_root).Walk(TestContext.Current.CancellationToken).ToDictionary(e => e.RelativePath);
        Assert.Equal(FileType.SymbolicLink, entries["link-to-src"].Type);
        Assert.Equal(FileType.SymbolicLink, entries["link-to-readme"].Type);
        Assert.Equal(FileType.SymbolicLink, entries["dangling"].Type);
        Assert.Equal("nowhere".Length, entries["dangling"].Status.Size); // lstat: the link, not a target
        Assert.DoesNotContain(entries.Keys, k => k.StartsWith("link-to-src/", StringComparison.Ordinal));
        Assert.Equal(FileType.Directory, entries["src"].Type);
        Assert.Equal(FileType.RegularFile, entries["src/main.go"].Type);
    }

    [Fact]
    public void ExcludingASymlinkToADirectoryDoesNotExcludeItsTarget()
    {
        var paths = Paths(new ContextWalker(_root, new PatternMatcher(["link-to-src"])).Walk(TestContext.Current.CancellationToken));
        Assert.DoesNotContain("link-to-src", paths);
        Assert.Contains("src/main.go", paths);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void StatusDescribesTheFile()
    {
        Write("sized.bin", new string('z', 1234));
        var path = Path.Join(_root, "sized.bin");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.SetGroup);
        var mtime = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(path, mtime);

        var status = new ContextWalker(_root).Walk(TestContext.Current.CancellationToken).Single(e => e.RelativePath == "sized.bin").Status;

        Assert.Equal(FileType.RegularFile, status.Type);
        Assert.Equal(1234, status.Size);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.SetGroup, status.Mode);
        Assert.Equal(mtime, status.ModificationTime.UtcDateTime);
        Assert.Equal(geteuid(), status.Uid);
        Assert.Equal(1u, status.LinkCount);
        Assert.NotEqual(0ul, status.Inode);
        Assert.True(status.ChangeTime > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public void HardLinksShareAnInode()
    {
        Assert.Equal(0, link(Path.Join(_root, "a.txt"), Path.Join(_root, "hard")));
        var entries = new ContextWalker(_root).Walk(TestContext.Current.CancellationToken).ToDictionary(e => e.RelativePath);
        Assert.Equal(entries["a.txt"].Status.Inode, entries["hard"].Status.Inode);
        Assert.Equal(entries["a.txt"].Status.Device, entries["hard"].Status.Device);
        Assert.Equal(2u, entries["hard"].Status.LinkCount);
    }

    [Fact]
    public void SpecialFilesAreTyped()
    {
        Assert.Equal(0, mkfifo(Path.Join(_root, "pipe"), 0b110_100_100));
        var pipe = new ContextWalker(_root).Walk(TestContext.Current.CancellationToken).Single(e => e.RelativePath == "pipe");
        Assert.Equal(FileType.NamedPipe, pipe.Type);
        var devNull = FileStatus.TryLstat("/dev/null");
        Assert.NotNull(devNull);
        Assert.Equal(FileType.CharacterDevice, devNull.Value.Type);
        Assert.Equal((1u, 3u), (devNull.Value.DeviceMajor, devNull.Value.DeviceMinor));
    }

    [Fact]
    public void MissingPathHasNoStatus() => Assert.Null(FileStatus.TryLstat(Path.Join(_root, "missing", "file")));

    [Fact]
    public void NamesAreOrderedByCodePoint()
    {
        // Ordinal UTF-16 order would put U+FF21 after the surrogate pair of U+1F600; UTF-8 order puts it first.
        Write("x/\U0001F600");
        Write("x/\uFF21");
        Write("x/B");
        Write("x/a");
        var paths = Paths(new ContextWalker(_root).Walk(TestContext.Current.CancellationToken)).Where(p => p.StartsWith("x/", StringComparison.Ordinal));
        Assert.Equal(["x/B", "x/a", "x/\uFF21", "x/\U0001F600"], paths);
    }

    [Fact]
    public void WalkIsLazy()
    {
        var listed = new List<string>();
        var walker = new ContextWalker(_root) { DirectoryListed = listed.Add };
        using var entries = walker.Walk(TestContext.Current.CancellationToken).GetEnumerator();
        Assert.Empty(listed);
        Assert.True(entries.MoveNext());
        Assert.Equal(".dockerignore", entries.Current.RelativePath);
        Assert.Equal([""], listed); // only the root has been read so far
    }

    [Fact]
    public void MissingRootFailsImmediately()
    {
        var missing = Path.Join(_root, "missing");
        var error = Assert.Throws<DirectoryNotFoundException>(() => new ContextWalker(missing).Walk(TestContext.Current.CancellationToken));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HonoursCancellation()
    {
        using var cancellation = new CancellationTokenSource();
        using var entries = new ContextWalker(_root).Walk(cancellation.Token).GetEnumerator();
        Assert.True(entries.MoveNext());
        cancellation.Cancel();
        Assert.Throws<OperationCanceledException>(() => entries.MoveNext());
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string oldPath, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    [DllImport("libc")]
    private static extern uint geteuid();
}
