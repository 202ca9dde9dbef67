using System.Diagnostics;
using Builder.TestSupport;

namespace Builder.Engine.Tests.Support;

/// <summary>
/// A throwaway rootfs made from Debian's busybox-static: /bin/busybox plus its applet symlinks,
/// and /etc/passwd and /etc/group with a few users for the credential tests.
/// </summary>
public sealed class BusyboxRootfs : IDisposable
{
    public const string Busybox = "/bin/busybox";

    public const string Passwd = """
        root:x:0:0:root:/root:/bin/sh
        daemon:x:1:1:daemon:/usr/sbin:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
        alice:x:1000:1000:Alice:/home/alice:/bin/sh
        bob:x:1001:1001::/home/bob:/bin/sh
        """;

    public const string Group = """
        root:x:0:
        daemon:x:1:
        staff:x:50:alice
        users:x:100:alice,bob
        nogroup:x:65534:
        alice:x:1000:
        bob:x:1001:
        devs:x:2000:
        """;

    private BusyboxRootfs(string directory)
    {
        Directory = directory;
        Path = System.IO.Path.Combine(directory, "rootfs");
    }

    /// <summary>The temp directory holding the rootfs (and anything else a test puts beside it).</summary>
    public string Directory { get; }

    /// <summary>The rootfs itself.</summary>
    public string Path { get; }

    public static BusyboxRootfs Create()
    {
        Capabilities.RequireRoot();
        if (!File.Exists(Busybox))
        {
            const string message = "/bin/busybox is missing: install Debian's busybox-static (listed in .ci/apt-packages)";
            if (SharedData.IsCi)
            {
                throw new InvalidOperationException(message + "; CI=true, so this is a failure");
            }
            Assert.Skip(message);
        }
        var dir = System.IO.Directory.CreateTempSubdirectory("engine-test-").FullName;
        var rootfs = new BusyboxRootfs(dir);
        var bin = System.IO.Path.Combine(rootfs.Path, "bin");
        System.IO.Directory.CreateDirectory(bin);
        File.Copy(Busybox, System.IO.Path.Combine(bin, "busybox"));
        // Like `busybox --install -s`, but with relative links: absolute ones would name the host path.
        foreach (var applet in Run(Busybox, "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (applet != "busybox")
            {
                File.CreateSymbolicLink(System.IO.Path.Combine(bin, applet), "busybox");
            }
        }
        var etc = System.IO.Path.Combine(rootfs.Path, "etc");
        System.IO.Directory.CreateDirectory(etc);
        File.WriteAllText(System.IO.Path.Combine(etc, "passwd"), Passwd + "\n");
        File.WriteAllText(System.IO.Path.Combine(etc, "group"), Group + "\n");
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(rootfs.Path, "tmp"));
        File.SetUnixFileMode(System.IO.Path.Combine(rootfs.Path, "tmp"), (UnixFileMode)0x3FF); // 1777
        return rootfs;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private static string Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
        }
        return output;
    }
}
