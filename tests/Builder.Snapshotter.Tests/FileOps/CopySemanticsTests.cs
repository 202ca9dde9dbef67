using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Paths;
using Builder.Snapshotter.Tests.Support;
using Builder.TestSupport;

namespace Builder.Snapshotter.Tests.FileOps;

/// <summary>COPY/ADD/WORKDIR semantics as Docker and BuildKit define them.</summary>
public sealed class CopySemanticsTests : IDisposable
{
    private readonly TempDataRoot _temp;
    private readonly string _ctx;
    private readonly string _target;
    private readonly FileOperations _ops;

    public CopySemanticsTests()
    {
        Capabilities.RequireRoot();
        _temp = new TempDataRoot(useOverlay: false);
        _ctx = _temp.NewDir("ctx");
        _target = _temp.NewDir("rootfs");
        Directory.CreateDirectory(Path.Combine(_target, "etc"));
        File.WriteAllText(Path.Combine(_target, "etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1500:1600::/home/app:/bin/sh\n");
        File.WriteAllText(Path.Combine(_target, "etc/group"), "root:x:0:\nstaff:x:1700:\n");
        Write("a.txt", "A");
        Write("b.txt", "B");
        Write("c.log", "C");
        Write("dir/one", "1");
        Write("dir/sub/two", "2");
        Write("dir/sub/skip.log", "x");
        _ops = new FileOperations(_target);
    }

    public void Dispose()
    {
        _ops.Dispose();
        _temp.Dispose();
    }

    private void Write(string rel, string content)
    {
        var path = Path.Combine(_ctx, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private void Copy(string dest, params string[] sources) => _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = sources, Destination = dest });

    private string Read(string rel) => File.ReadAllText(Path.Combine(_target, rel));

    private FileStat Stat(string rel)
    {
        Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, Path.Combine(_target, rel), Syscalls.AtSymlinkNoFollow, out var st), "lstat", rel);
        return st;
    }

    [Fact]
    public void Destination_rules_trailing_slash_existing_dir_and_new_file_name()
    {
        Copy("/app/", "a.txt");
        Assert.Equal("A", Read("app/a.txt"));
        Copy("/app/renamed", "b.txt");
        Assert.Equal("B", Read("app/renamed"));
        Copy("/app", "c.log"); // existing directory without slash: into it
        Assert.Equal("C", Read("app/c.log"));
        Assert.Equal(0x1EDu, Stat("app").Permissions); // parents made 0755
        File.CreateSymbolicLink(Path.Combine(_target, "app-link"), "/app");
        Copy("/app-link", "b.txt"); // a symlink to a directory is a directory destination
        Assert.Equal("B", Read("app/b.txt"));
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["a.txt"], Destination = "rel/", WorkingDirectory = "/work" });
        Assert.Equal("A", Read("work/rel/a.txt"));
    }

    [Fact]
    public void Files_from_another_filesystem_arrive_whole_when_the_kernel_refuses_to_copy_between_them()
    {
        // tmpfs to the data root's disk: copy_file_range answers EXDEV, so the bytes go through our buffer.
        var shm = Directory.CreateDirectory("/dev/shm/builder-copy-" + Guid.NewGuid().ToString("N")[..8]).FullName;
        try
        {
            var big = new byte[(5 << 20) / 2 + 7]; // more than two buffers' worth, not a multiple of one
            Random.Shared.NextBytes(big);
            File.WriteAllBytes(Path.Combine(shm, "big.bin"), big);
            File.WriteAllBytes(Path.Combine(shm, "empty"), []);
            for (var i = 0; i < 20; i++)
            {
                File.WriteAllText(Path.Combine(shm, $"small-{i}.txt"), new string('x', i * 100));
            }

            _ops.Copy(new CopyRequest { SourceRoot = shm, Sources = ["."], Destination = "/far/" });

            Assert.Equal(big, File.ReadAllBytes(Path.Combine(_target, "far/big.bin")));
            Assert.Empty(File.ReadAllBytes(Path.Combine(_target, "far/empty")));
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(i * 100, File.ReadAllText(Path.Combine(_target, $"far/small-{i}.txt")).Length);
            }
        }
        finally
        {
            Directory.Delete(shm, recursive: true);
        }
    }

    [Fact]
    public void A_directory_source_copies_its_contents()
    {
        Copy("/dst", "dir");
        Assert.Equal("1", Read("dst/one"));
        Assert.Equal("2", Read("dst/sub/two"));
        Assert.False(Directory.Exists(Path.Combine(_target, "dst/dir")));
    }

    [Fact]
    public void Wildcards_and_several_sources_need_a_directory_destination()
    {
        Copy("/w/", "*.txt");
        Assert.Equal(["a.txt", "b.txt"], Directory.GetFiles(Path.Combine(_target, "w")).Select(f => Path.GetFileName(f)).Order().ToArray());
        var e = Assert.Throws<InvalidOperationException>(() => Copy("/file", "a.txt", "b.txt"));
        Assert.Contains("must be a directory and end with a /", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Copy("/file2", "[ab].txt"));
        Assert.Throws<FileNotFoundException>(() => Copy("/x/", "*.none"));
        Assert.Throws<FileNotFoundException>(() => Copy("/x/", "missing"));
        Copy("/one", "?.log"); // a single match may be a file destination
        Assert.Equal("C", Read("one"));
    }

    [Fact]
    public void Chown_resolves_names_in_the_destination_and_applies_to_created_parents()
    {
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["dir"], Destination = "/p/q/", Chown = "app:staff" });
        Assert.Equal((1500u, 1700u), (Stat("p/q/sub/two").Uid, Stat("p/q/sub/two").Gid));
        Assert.Equal((1500u, 1700u), (Stat("p").Uid, Stat("p").Gid));
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["a.txt"], Destination = "/n/", Chown = "42" });
        Assert.Equal((42u, 42u), (Stat("n/a.txt").Uid, Stat("n/a.txt").Gid));
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["a.txt"], Destination = "/u/", Chown = "app" });
        Assert.Equal((1500u, 1500u), (Stat("u/a.txt").Uid, Stat("u/a.txt").Gid));
        var e = Assert.Throws<InvalidOperationException>(() => _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["a.txt"], Destination = "/z/", Chown = "nobody-here" }));
        Assert.Contains("unable to find user 'nobody-here'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Context_files_become_root_owned_but_stage_files_keep_their_owner()
    {
        Errno.Check(Syscalls.Fchownat(Syscalls.AtFdCwd, Path.Combine(_ctx, "a.txt"), 1234, 5678, 0), "chown", "a");
        Copy("/ctx/", "a.txt");
        Assert.Equal((0u, 0u), (Stat("ctx/a.txt").Uid, Stat("ctx/a.txt").Gid));
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["a.txt"], Destination = "/stage/", SourceIsContext = false });
        Assert.Equal((1234u, 5678u), (Stat("stage/a.txt").Uid, Stat("stage/a.txt").Gid));
    }

    [Theory]
    [InlineData("755", 0x1ED, 0x1ED)]
    [InlineData("0640", 0x1A0, 0x1A0)]
    [InlineData("u+x,go-r", 0x1C0, 0x1C9)]
    [InlineData("a=rX", 0x124, 0x16D)]
    public void Chmod_octal_and_symbolic(string chmod, uint fileMode, uint dirMode)
    {
        Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, Path.Combine(_ctx, "dir/one"), 0x1A4, 0), "chmod", "one");
        Errno.Check(Syscalls.Fchmodat(Syscalls.AtFdCwd, Path.Combine(_ctx, "dir/sub"), 0x1ED, 0), "chmod", "sub");
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["dir"], Destination = "/m/", Chmod = chmod });
        Assert.Equal(fileMode, Stat("m/one").Permissions);
        Assert.Equal(dirMode, Stat("m/sub").Permissions);
    }

    [Fact]
    public void Exclude_patterns_skip_matching_paths()
    {
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["dir"], Destination = "/e/", Excludes = ["**/*.log"] });
        Assert.True(File.Exists(Path.Combine(_target, "e/sub/two")));
        Assert.False(File.Exists(Path.Combine(_target, "e/sub/skip.log")));
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["*"], Destination = "/f/", Excludes = ["*.txt"] });
        Assert.False(File.Exists(Path.Combine(_target, "f/a.txt")));
        Assert.True(File.Exists(Path.Combine(_target, "f/c.log")));
    }

    [Fact]
    public void Exclude_exception_reincludes_a_file_inside_an_excluded_directory()
    {
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["dir"], Destination = "/x/", Excludes = ["sub", "!sub/two"] });
        Assert.Equal("1", Read("x/one"));
        Assert.Equal("2", Read("x/sub/two"));
        Assert.False(File.Exists(Path.Combine(_target, "x/sub/skip.log")));

        // Nothing re-included: the excluded directory is not created at all.
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["dir"], Destination = "/y/", Excludes = ["sub", "!sub/absent"] });
        Assert.Equal("1", Read("y/one"));
        Assert.False(Directory.Exists(Path.Combine(_target, "y/sub")));
    }

    [Fact]
    public void Parents_keep_the_source_path_below_the_pivot()
    {
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["dir/sub/two", "dir/./sub/skip.log"], Destination = "/par", Parents = true });
        Assert.Equal("2", Read("par/dir/sub/two"));
        Assert.Equal("x", Read("par/sub/skip.log"));
    }

    [Fact]
    public void Symlinks_are_copied_as_links_and_source_links_resolve_inside_the_context()
    {
        var outsideSecret = _temp.NewDir("secret");
        File.WriteAllText(Path.Combine(outsideSecret, "key"), "host secret");
        File.CreateSymbolicLink(Path.Combine(_ctx, "dir/abs-link"), outsideSecret);
        File.CreateSymbolicLink(Path.Combine(_ctx, "to-dir"), "dir");
        File.CreateSymbolicLink(Path.Combine(_ctx, "escape"), outsideSecret);
        Copy("/s/", "dir");
        Assert.Equal(outsideSecret, new FileInfo(Path.Combine(_target, "s/abs-link")).LinkTarget);
        Assert.True(Stat("s/abs-link").IsSymlink);
        Copy("/t", "to-dir"); // the source path itself is followed (inside the context)
        Assert.Equal("1", Read("t/one"));
        // A source link pointing outside resolves inside the context, where the path does not exist.
        Assert.Throws<FileNotFoundException>(() => Copy("/leak/", "escape/key"));
        Assert.False(File.Exists(Path.Combine(_target, "leak/key")));
    }

    [Fact]
    public void Hardlinks_within_one_copy_stay_hardlinks()
    {
        Errno.Check(Syscalls.Linkat(Syscalls.AtFdCwd, Path.Combine(_ctx, "dir/one"), Syscalls.AtFdCwd, Path.Combine(_ctx, "dir/sub/one-link"), 0), "link", "one");
        Copy("/h/", "dir");
        Assert.Equal(Stat("h/one").Inode, Stat("h/sub/one-link").Inode);
        Assert.Equal(2u, Stat("h/one").Nlink);
        // Also between two sources of one instruction.
        Copy("/h2/", "dir/one", "dir/sub/one-link");
        Assert.Equal(Stat("h2/one").Inode, Stat("h2/one-link").Inode);
    }

    [Fact]
    public void A_large_tree_copied_on_worker_threads_keeps_every_file_mode_owner_and_directory_time()
    {
        // Hundreds of files over several directories: the workers copy them while the walk goes on, and each
        // directory's mtime is set only after its files are in (a later create would move it).
        var tree = _temp.NewDir("tree");
        var when = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        for (var d = 0; d < 8; d++)
        {
            var dir = Path.Combine(tree, $"d{d}");
            Directory.CreateDirectory(dir);
            for (var f = 0; f < 60; f++)
            {
                var file = Path.Combine(dir, $"f{f}.txt");
                File.WriteAllText(file, $"{d}/{f}");
                File.SetUnixFileMode(file, f % 2 == 0 ? UnixFileMode.UserRead | UnixFileMode.UserWrite : UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.OtherRead);
                Errno.Check(Syscalls.Fchownat(Syscalls.AtFdCwd, file, 1000 + f, 2000 + d, Syscalls.AtSymlinkNoFollow), "chown", file);
            }
        }
        Errno.Check(Syscalls.Linkat(Syscalls.AtFdCwd, Path.Combine(tree, "d0/f0.txt"), Syscalls.AtFdCwd, Path.Combine(tree, "d7/link"), 0), "link", "f0");
        for (var d = 0; d < 8; d++)
        {
            Directory.SetLastWriteTimeUtc(Path.Combine(tree, $"d{d}"), when.AddDays(d));
        }
        _ops.Copy(new CopyRequest { SourceRoot = tree, Sources = ["."], Destination = "/big/", SourceIsContext = false }); // a stage: owners kept

        for (var d = 0; d < 8; d++)
        {
            Assert.Equal(when.AddDays(d), Directory.GetLastWriteTimeUtc(Path.Combine(_target, $"big/d{d}")));
            for (var f = 0; f < 60; f++)
            {
                var rel = $"big/d{d}/f{f}.txt";
                Assert.Equal($"{d}/{f}", Read(rel));
                var st = Stat(rel);
                Assert.Equal(f % 2 == 0 ? 0x180u : 0x144u, st.Permissions);
                Assert.Equal((1000u + (uint)f, 2000u + (uint)d), (st.Uid, st.Gid));
            }
        }
        Assert.Equal(Stat("big/d0/f0.txt").Inode, Stat("big/d7/link").Inode);
    }

    [Fact]
    public void Writes_through_a_destination_symlink_stay_inside_the_root()
    {
        var host = _temp.NewDir("hostdir");
        File.CreateSymbolicLink(Path.Combine(_target, "evil"), host);
        Copy("/evil/", "a.txt");
        Assert.False(File.Exists(Path.Combine(host, "a.txt")));
        Assert.Equal("A", Read(host.TrimStart('/') + "/a.txt"));
        _ops.WriteFile("/evil/heredoc", new MemoryStream("x"u8.ToArray()));
        Assert.False(File.Exists(Path.Combine(host, "heredoc")));
    }

    [Theory]
    [InlineData("czf", "tar.gz")]
    [InlineData("cjf", "tar.bz2")]
    [InlineData("cJf", "tar.xz")]
    [InlineData("cf", "tar")]
    [InlineData("--zstd -cf", "tar.zst")]
    public void Add_extracts_local_archives(string flags, string extension)
    {
        var src = _temp.NewDir("arch");
        File.WriteAllText(Path.Combine(src, "inside.txt"), "in");
        Directory.CreateDirectory(Path.Combine(src, "d"));
        File.WriteAllText(Path.Combine(src, "d/deep"), "deep");
        ExternalTool.Run($"tar {flags} {_ctx}/archive.{extension} -C {src} .");
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["archive." + extension], Destination = "/x", ExtractArchives = true });
        Assert.Equal("in", Read("x/inside.txt"));
        Assert.Equal("deep", Read("x/d/deep"));
        // COPY never extracts.
        Copy("/y/", "archive." + extension);
        Assert.True(File.Exists(Path.Combine(_target, "y/archive." + extension)));
    }

    [Fact]
    public void Add_copies_a_compressed_non_tar_file_and_rejects_a_hostile_archive()
    {
        ExternalTool.Run($"printf 'plain text' | gzip > {_ctx}/note.gz");
        _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["note.gz"], Destination = "/n/", ExtractArchives = true });
        Assert.True(File.Exists(Path.Combine(_target, "n/note.gz")));
        File.WriteAllBytes(Path.Combine(_ctx, "evil.tar"), new TarBuilder().File("../../../../../../../../../../tmp/added-escape", "x").Build());
        Assert.Throws<PathEscapeException>(() => _ops.Copy(new CopyRequest { SourceRoot = _ctx, Sources = ["evil.tar"], Destination = "/v", ExtractArchives = true }));
        Assert.False(File.Exists("/tmp/added-escape"));
    }

    [Fact]
    public void Mkdir_write_and_remove()
    {
        _ops.Mkdir("/srv/www/data", 0x1E8, "app");
        Assert.Equal((1500u, 1500u, 0x1E8u), (Stat("srv/www/data").Uid, Stat("srv/www").Gid, Stat("srv").Permissions));
        _ops.WriteFile("/srv/www/index.html", new MemoryStream("<h1>"u8.ToArray()), 0x180, "app:staff");
        Assert.Equal("<h1>", Read("srv/www/index.html"));
        Assert.Equal((1500u, 1700u, 0x180u), (Stat("srv/www/index.html").Uid, Stat("srv/www/index.html").Gid, Stat("srv/www/index.html").Permissions));
        Assert.Throws<ErrnoException>(() => _ops.Mkdir("/nope/a", parents: false));
        _ops.Remove("/srv");
        Assert.False(Directory.Exists(Path.Combine(_target, "srv")));
        Assert.Throws<FileNotFoundException>(() => _ops.Remove("/srv"));
        _ops.Remove("/srv", allowNotFound: true);
    }
}
