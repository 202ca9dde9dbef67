using Builder.Snapshotter.Paths;
using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.FileOps;

/// <summary>
/// A --chown value ("user", "user:group", "uid:gid") resolved against the destination's own /etc/passwd
/// and /etc/group (read inside the destination root). A user without a group uses the same number as gid,
/// as the Dockerfile reference specifies.
/// </summary>
public static class OwnerSpec
{
    public static (int Uid, int Gid) Resolve(string spec, RootedDirectory destRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        ArgumentNullException.ThrowIfNull(destRoot);
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var user = colon < 0 ? spec : spec[..colon];
        var group = colon < 0 ? null : spec[(colon + 1)..];
        var uid = Lookup(user, "etc/passwd", destRoot, "user");
        var gid = group is null ? uid : Lookup(group, "etc/group", destRoot, "group");
        return (uid, gid);
    }

    private static int Lookup(string name, string file, RootedDirectory root, string what)
    {
        if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }
        foreach (var line in ReadLines(root, file))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == name && int.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var found))
            {
                return found;
            }
        }
        throw new InvalidOperationException($"unable to find {what} '{name}' in /{file} of the destination");
    }

    private static IEnumerable<string> ReadLines(RootedDirectory root, string file)
    {
        var fd = Syscalls.Openat2(root.Fd, file, Syscalls.ORdOnly | Syscalls.OCloExec, 0, Syscalls.ResolveInRoot | Syscalls.ResolveNoMagicLinks);
        if (fd < 0)
        {
            return [];
        }
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }
        return lines;
    }
}
