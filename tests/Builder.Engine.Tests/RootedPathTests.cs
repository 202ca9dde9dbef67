using Builder.Engine.Wire;

namespace Builder.Engine.Tests;

/// <summary>Path resolution inside a rootfs: symlinks followed within it, never out of it.</summary>
public sealed class RootedPathTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rooted-path-").FullName;

    public RootedPathTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "usr/lib"));
        File.CreateSymbolicLink(Path.Combine(_root, "lib"), "usr/lib");
        File.CreateSymbolicLink(Path.Combine(_root, "abs"), "/usr");
        File.CreateSymbolicLink(Path.Combine(_root, "host"), "/etc");
        File.CreateSymbolicLink(Path.Combine(_root, "up"), "../../../..");
        File.CreateSymbolicLink(Path.Combine(_root, "loop"), "loop");
    }

    [Theory]
    [InlineData("/lib/x", "/usr/lib/x")]
    [InlineData("/abs/lib", "/usr/lib")]
    [InlineData("/host/passwd", "/etc/passwd")]
    [InlineData("/../../usr", "/usr")]
    [InlineData("/up/usr", "/usr")]
    [InlineData("/usr/./lib/../lib", "/usr/lib")]
    public void Resolves_inside_the_root_with_chroot_semantics(string path, string expected)
    {
        var resolved = RootedPath.Resolve(_root, path, RootedPath.Escapes.Clamp);
        Assert.Equal(expected, resolved.ContainerPath);
        Assert.Equal(_root + expected, resolved.HostPath);
    }

    [Fact]
    public void Relative_symlinks_climbing_out_are_rejected_when_asked()
    {
        var error = Assert.Throws<PathEscapeException>(() => RootedPath.Resolve(_root, "/up/usr", RootedPath.Escapes.Reject));
        Assert.Contains("/up/usr", error.Message);
    }

    [Fact]
    public void Symlink_loops_fail()
    {
        Assert.Throws<PathEscapeException>(() => RootedPath.Resolve(_root, "/loop/x", RootedPath.Escapes.Clamp));
    }

    [Fact]
    public void Missing_directories_are_created_inside_the_root()
    {
        var resolved = RootedPath.Resolve(_root, "/lib/new/deeper", RootedPath.Escapes.Clamp);
        Assert.False(resolved.Exists);
        Assert.Equal(["new", "deeper"], resolved.Missing);
        RootedPath.CreateMissingDirectories(resolved);
        Assert.True(Directory.Exists(Path.Combine(_root, "usr/lib/new/deeper")));
    }

    [Theory]
    [InlineData("/proc/self/fd/3")]
    [InlineData("/sys")]
    [InlineData("/dev/shm")]
    [InlineData("relative")]
    public void Working_directories_in_kernel_filesystems_or_relative_are_refused(string workingDir)
    {
        Assert.Throws<PathEscapeException>(() => WorkingDirectory.Check(_root, workingDir));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
