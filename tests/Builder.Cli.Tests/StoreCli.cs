using Builder.TestSupport;

namespace Builder.Cli.Tests;

/// <summary>
/// Runs image commands in-process against a data root of its own (<c>--root</c>), with byte streams for
/// stdin and stdout so archives can go through them. Removes the data root (and any mounts under it) at dispose.
/// </summary>
internal sealed class StoreCli : IDisposable
{
    public StoreCli()
    {
        Dir = Path.Combine("/var/tmp", "builder-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        Root = Path.Combine(Dir, "root");
    }

    public string Dir { get; }

    public string Root { get; }

    public sealed record BinaryResult(int ExitCode, string Out, string Error, byte[] Stdout);

    public CliRunner.Result Run(params string[] args)
    {
        var result = RunBinary(null, args);
        return new CliRunner.Result(result.ExitCode, result.Out, result.Error);
    }

    public BinaryResult RunBinary(byte[]? stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var rawOut = new MemoryStream();
        using var rawIn = new MemoryStream(stdin ?? []);
        var code = Program.Run(["--root", Root, .. args], new CliContext(new StringReader(""), output, error, rawOut, rawIn));
        return new BinaryResult(code, output.ToString(), error.ToString(), rawOut.ToArray());
    }

    /// <summary>A small root filesystem: busybox-static with an sh link, /etc/passwd, /tmp.</summary>
    public string BusyboxRootfs()
    {
        Capabilities.RequireTool(BusyboxImage.Busybox, "busybox-static");
        var rootfs = Path.Combine(Dir, "rootfs-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy(BusyboxImage.Busybox, Path.Combine(rootfs, "bin/busybox"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin/sh"), "busybox");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), BusyboxImage.Passwd + "\n");
        Directory.CreateDirectory(Path.Combine(rootfs, "tmp"));
        return rootfs;
    }

    public void Dispose()
    {
        foreach (var point in File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4])
            .Where(p => p.StartsWith(Dir + "/", StringComparison.Ordinal))
            .OrderByDescending(p => p.Length))
        {
            System.Diagnostics.Process.Start("umount", ["-l", point])!.WaitForExit();
        }
        if (Directory.Exists(Dir))
        {
            new DirectoryInfo(Dir).Delete(recursive: true);
        }
    }
}
