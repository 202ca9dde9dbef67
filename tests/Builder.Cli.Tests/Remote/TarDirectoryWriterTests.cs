using System.Formats.Tar;
using Builder.Cli.Remote;

namespace Builder.Cli.Tests.Remote;

/// <summary>
/// A remote <c>debug export -o DIR</c> unpacks the server's tar here: a root filesystem's absolute symlinks stay as
/// they are, and no entry writes outside the destination.
/// </summary>
public sealed class TarDirectoryWriterTests
{
    [Fact]
    public async Task Extract_KeepsFilesModesDirectoriesAndLinks_IncludingAbsoluteSymlinks()
    {
        using var dir = new TempDir();
        var dest = Path.Combine(dir.Path, "out");
        Directory.CreateDirectory(dest);
        var tar = await TarAsync(
            DirEntry("./"),
            DirEntry("bin/"),
            FileEntry("bin/busybox", "elf", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute),
            new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "/bin/busybox" },
            new PaxTarEntry(TarEntryType.HardLink, "bin/ash") { LinkName = "bin/busybox" },
            FileEntry("etc/motd", "hello", UnixFileMode.UserRead));

        await TarDirectoryWriter.ExtractAsync(tar, dest, TestContext.Current.CancellationToken);

        Assert.Equal("elf", File.ReadAllText(Path.Combine(dest, "bin/busybox")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(dest, "bin/busybox")));
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(dest, "bin/sh")).LinkTarget);
        Assert.Equal("elf", File.ReadAllText(Path.Combine(dest, "bin/ash")));
        Assert.Equal("hello", File.ReadAllText(Path.Combine(dest, "etc/motd")));
    }

    [Fact]
    public async Task Extract_RefusesAnEntryThatClimbsOut()
    {
        using var dir = new TempDir();
        var dest = Path.Combine(dir.Path, "out");
        Directory.CreateDirectory(dest);
        var tar = await TarAsync(FileEntry("../escaped", "x", UnixFileMode.UserRead));

        var e = await Assert.ThrowsAsync<IOException>(() => TarDirectoryWriter.ExtractAsync(tar, dest, TestContext.Current.CancellationToken));

        Assert.Contains("climbs out", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "escaped")));
    }

    [Fact]
    public async Task Extract_RefusesToWriteThroughASymlink()
    {
        using var dir = new TempDir();
        var dest = Path.Combine(dir.Path, "out");
        var outside = Path.Combine(dir.Path, "outside");
        Directory.CreateDirectory(dest);
        Directory.CreateDirectory(outside);
        var tar = await TarAsync(
            new PaxTarEntry(TarEntryType.SymbolicLink, "link") { LinkName = outside },
            FileEntry("link/planted", "x", UnixFileMode.UserRead));

        var e = await Assert.ThrowsAsync<IOException>(() => TarDirectoryWriter.ExtractAsync(tar, dest, TestContext.Current.CancellationToken));

        Assert.Contains("below a symlink", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    private static PaxTarEntry DirEntry(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0b111_101_101 };

    private static PaxTarEntry FileEntry(string name, string content, UnixFileMode mode) => new(TarEntryType.RegularFile, name)
    {
        Mode = mode,
        DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
    };

    private static async Task<Stream> TarAsync(params PaxTarEntry[] entries)
    {
        var stream = new MemoryStream();
        await using (var writer = new TarWriter(stream, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                await writer.WriteEntryAsync(entry);
            }
        }
        stream.Position = 0;
        return stream;
    }
}
