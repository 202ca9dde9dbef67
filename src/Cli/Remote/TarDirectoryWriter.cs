using System.Formats.Tar;
using System.Runtime.InteropServices;

namespace Builder.Cli.Remote;

/// <summary>
/// Unpacks a remote export's tar into a directory on this machine as it arrives. A root filesystem holds
/// absolute symlinks (<c>/bin/sh -> /bin/busybox</c>), so links are made as they are and never followed:
/// an entry whose name climbs out with <c>..</c>, or whose parent is a symlink, is refused, as is a hard
/// link to such a name. Modes and times are kept; owners, devices and fifos only when running as root.
/// </summary>
internal static class TarDirectoryWriter
{
    public static async Task ExtractAsync(Stream tar, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        var asRoot = geteuid() == 0;
        var directories = new List<(string Path, UnixFileMode Mode, DateTimeOffset Time)>();
        await using var reader = new TarReader(tar);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var relative = Relative(entry.Name);
            if (relative.Length == 0)
            {
                continue; // the root itself
            }
            var path = Inside(root, relative, entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
                    {
                        File.Delete(path);
                    }
                    Directory.CreateDirectory(path);
                    directories.Add((path, entry.Mode, entry.ModificationTime));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    RemoveExisting(path);
                    await using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous }))
                    {
                        if (entry.DataStream is { } data)
                        {
                            await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
                    break;
                case TarEntryType.SymbolicLink:
                    RemoveExisting(path);
                    File.CreateSymbolicLink(path, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    RemoveExisting(path);
                    var target = Inside(root, Relative(entry.LinkName), entry.LinkName);
                    if (link(target, path) != 0)
                    {
                        throw new IOException($"{entry.Name}: cannot link to {entry.LinkName}: {new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError()).Message}");
                    }
                    continue; // the link shares its target's mode, owner and time
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo when asRoot:
                    RemoveExisting(path);
                    entry.ExtractToFile(path, overwrite: false);
                    break;
                default:
                    continue; // devices and fifos need root; extended headers carry nothing to write
            }
            // Owner before mode: chown clears setuid and setgid.
            if (asRoot && lchown(path, entry.Uid, entry.Gid) != 0)
            {
                throw new IOException($"{entry.Name}: cannot set its owner {entry.Uid}:{entry.Gid}: {new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError()).Message}");
            }
            if (entry.EntryType is not TarEntryType.SymbolicLink and not TarEntryType.Directory)
            {
                File.SetUnixFileMode(path, entry.Mode);
            }
        }
        // Directories last, deepest first: their entries changed their times, and a read-only one must stay writable until then.
        for (var i = directories.Count - 1; i >= 0; i--)
        {
            File.SetUnixFileMode(directories[i].Path, directories[i].Mode);
            Directory.SetLastWriteTimeUtc(directories[i].Path, directories[i].Time.UtcDateTime);
        }
    }

    /// <summary>The entry's name relative to the root, '/'-separated, without <c>./</c>, a leading '/' or empty parts.</summary>
    private static string Relative(string name) =>
        string.Join('/', name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(part => part != "."));

    /// <summary>The host path of <paramref name="relative"/>, refusing <c>..</c> and paths through a symlink.</summary>
    private static string Inside(string root, string relative, string name)
    {
        var parts = relative.Split('/');
        if (parts.Contains(".."))
        {
            throw new IOException($"the export holds an entry that climbs out of the destination: {name}");
        }
        var path = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            path = Path.Combine(path, parts[i]);
            if (new FileInfo(path).LinkTarget is not null)
            {
                throw new IOException($"the export holds an entry below a symlink, which would write outside the destination: {name}");
            }
        }
        Directory.CreateDirectory(path); // parents the tar does not list; none of them is a symlink
        return Path.Combine(path, parts[^1]);
    }

    private static void RemoveExisting(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string target, [MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);
}
