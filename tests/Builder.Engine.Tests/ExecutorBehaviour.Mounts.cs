namespace Builder.Engine.Tests;

/// <summary>The mounts RUN --mount needs: a secret file, a cache directory, a size-limited tmpfs.</summary>
public abstract partial class ExecutorBehaviour
{
    [Fact]
    public async Task Read_only_bind_of_a_single_file_keeps_its_mode_and_rejects_writes()
    {
        // RUN --mount=type=secret: a host file bound read-only, mode 0400, at a path the rootfs lacks.
        var secret = Path.Combine(Rootfs.Directory, "secret");
        await File.WriteAllTextAsync(secret, "s3cret", Timeout);
        File.SetUnixFileMode(secret, UnixFileMode.UserRead);
        var before = RootfsEntries();
        var spec = Shell("""
            cat /run/secrets/token; echo
            stat -c '%a %u %F' /run/secrets/token
            echo x > /run/secrets/token 2>/dev/null && echo writable
            rm /run/secrets/token 2>/dev/null && echo removable
            touch /run/secrets/other 2>/dev/null && echo beside
            true
            """) with { Mounts = [new BindMount(secret, "/run/secrets/token", ReadOnly: true)] };
        var result = await RunAsync(spec);
        Assert.True(result.Exit.Succeeded, result.ToString());
        Assert.Equal("s3cret\n400 0 regular file\nbeside\n", result.Stdout);
        Assert.Equal("s3cret", await File.ReadAllTextAsync(secret, Timeout));
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(secret));

        // Mode 0400 of root: another user cannot read it.
        var other = await RunAsync(spec with { User = "alice", Args = ["cat", "/run/secrets/token"] });
        Assert.NotEqual(0, other.Exit.ExitCode);
        Assert.Contains("Permission denied", other.Stderr);
        Assert.Equal("", other.Stdout);

        // The mount point and its parents were created only for the mount: gone afterwards,
        // except what the command itself wrote beside it.
        Assert.Equal(before.Append("/run").Append("/run/secrets").Append("/run/secrets/other").Order(StringComparer.Ordinal), RootfsEntries());
    }

    [Fact]
    public async Task Read_write_bind_of_a_directory_keeps_every_change_in_the_host_directory()
    {
        // RUN --mount=type=cache: what one run writes, deletes or changes, the next run (and the host) sees.
        var cache = Directory.CreateDirectory(Path.Combine(Rootfs.Directory, "cache")).FullName;
        await File.WriteAllTextAsync(Path.Combine(cache, "old"), "old", Timeout);
        await File.WriteAllTextAsync(Path.Combine(cache, "kept"), "kept\n", Timeout);
        var before = RootfsEntries();
        var mount = new BindMount(cache, "/var/cache/apt");
        var first = await RunAsync(Shell("""
            echo new > /var/cache/apt/new
            mkdir -p /var/cache/apt/sub/deeper && echo deep > /var/cache/apt/sub/deeper/file
            rm /var/cache/apt/old
            echo appended >> /var/cache/apt/kept
            ln -s kept /var/cache/apt/link
            """) with { Mounts = [mount] });
        Assert.True(first.Exit.Succeeded, first.ToString());
        Assert.Equal("new\n", await File.ReadAllTextAsync(Path.Combine(cache, "new"), Timeout));
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(cache, "sub/deeper/file"), Timeout));
        Assert.False(File.Exists(Path.Combine(cache, "old")));
        Assert.Equal("kept\nappended\n", await File.ReadAllTextAsync(Path.Combine(cache, "kept"), Timeout));
        Assert.Equal("kept", new FileInfo(Path.Combine(cache, "link")).LinkTarget);

        var second = await RunAsync(Shell("ls /var/cache/apt | tr '\\n' ' '; echo; cat /var/cache/apt/link") with { Mounts = [mount] });
        Assert.Equal("kept link new sub \nkept\nappended\n", second.Stdout);
        // Nothing went into the rootfs: its /var/cache/apt was only a mount point, removed again.
        Assert.Equal(before, RootfsEntries());
    }

    [Fact]
    public async Task Tmpfs_with_a_size_limit_fails_writes_beyond_it_with_enospc()
    {
        var result = await RunAsync(Shell("""
            dd if=/dev/zero of=/scratch/fill bs=65536 count=64; echo "dd exit $?"
            echo more >> /scratch/fill || echo "append failed"
            ls -l /scratch/fill | awk '{print $5}'
            df -k /scratch | awk 'NR==2 {print $2}'
            rm /scratch/fill && echo small > /scratch/after && cat /scratch/after
            """) with { Mounts = [new TmpfsMount("/scratch", 1 << 20)] });
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 5, result.ToString());
        Assert.Equal("dd exit 1", lines[0]);
        Assert.Equal("append failed", lines[1]);
        Assert.InRange(long.Parse(lines[2], System.Globalization.CultureInfo.InvariantCulture), 1, 1 << 20);
        Assert.Equal("1024", lines[3]);
        Assert.Equal("small", lines[4]);
        Assert.Contains("No space left on device", result.Stderr);
    }

    private string[] RootfsEntries() =>
        Directory.GetFileSystemEntries(Rootfs.Path, "*", SearchOption.AllDirectories)
            .Select(e => e[Rootfs.Path.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray();
}
