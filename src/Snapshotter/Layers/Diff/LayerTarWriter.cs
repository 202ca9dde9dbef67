using Builder.Snapshotter.Layers.Tar;
using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>
/// Turns a sequence of <see cref="LayerChange"/>s into OCI layer tar bytes: whiteouts as <c>.wh.</c> files,
/// opaque directories as <c>.wh..wh..opq</c>, the second and later names of an inode as hardlinks to the
/// first, xattrs as PAX records (overlay's own trusted.overlay.* never), mtimes clamped to
/// <c>SOURCE_DATE_EPOCH</c> when given. File contents stream from disk.
/// </summary>
internal sealed class LayerTarWriter(Stream output, long? sourceDateEpoch)
{
    private readonly DeterministicTarWriter _tar = new(output);
    private readonly Dictionary<(ulong, ulong), string> _inodes = [];
    private readonly byte[] _buffer = new byte[1 << 20];

    public void Write(IEnumerable<LayerChange> changes)
    {
        foreach (var change in changes)
        {
            switch (change.Kind)
            {
                case LayerChangeKind.Whiteout:
                    WriteMarker(WhiteoutName(change.Path));
                    break;
                case LayerChangeKind.Opaque:
                    WriteMarker(change.Path + "/.wh..wh..opq");
                    break;
                default:
                    WriteEntry(change);
                    break;
            }
        }
        _tar.Finish();
    }

    internal static string WhiteoutName(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? ".wh." + path : path[..(slash + 1)] + ".wh." + path[(slash + 1)..];
    }

    // Markers carry only a name: a fixed mtime keeps the bytes independent of when the deletion happened.
    private void WriteMarker(string name) => _tar.WriteHeader(new TarEntryHeader
    {
        Name = name, Type = TarEntryHeader.Regular, Mode = 0, Uid = 0, Gid = 0, MtimeSeconds = 0,
    });

    private void WriteEntry(LayerChange change)
    {
        var st = change.Stat;
        var host = change.HostPath!;
        var header = new TarEntryHeader
        {
            Name = change.Path,
            Type = TarEntryHeader.Regular,
            Mode = st.Permissions,
            Uid = st.Uid,
            Gid = st.Gid,
            MtimeSeconds = Clamp(st.MtimeNs),
            Xattrs = st.IsSymlink ? [] : ReadXattrs(host),
        };
        switch (st.Type)
        {
            case Syscalls.SIfDir:
                _tar.WriteHeader(header with { Name = change.Path + "/", Type = TarEntryHeader.Directory });
                return;
            case Syscalls.SIfLnk:
                _tar.WriteHeader(header with
                {
                    Type = TarEntryHeader.Symlink,
                    LinkName = Syscalls.Readlinkat(Syscalls.AtFdCwd, host) ?? throw Errno.Exception(Errno.Last, "readlink", host),
                });
                return;
            case Syscalls.SIfChr or Syscalls.SIfBlk:
                _tar.WriteHeader(header with
                {
                    Type = st.Type == Syscalls.SIfChr ? TarEntryHeader.CharDevice : TarEntryHeader.BlockDevice,
                    DevMajor = st.RdevMajor,
                    DevMinor = st.RdevMinor,
                });
                return;
            case Syscalls.SIfIfo:
                _tar.WriteHeader(header with { Type = TarEntryHeader.Fifo });
                return;
            case Syscalls.SIfSock:
                return; // sockets are not representable in tar; Docker skips them too
        }
        if (st.Nlink > 1)
        {
            if (_inodes.TryGetValue((st.Device, st.Inode), out var first))
            {
                _tar.WriteHeader(header with { Type = TarEntryHeader.HardLink, LinkName = first, Size = 0 });
                return;
            }
            _inodes[(st.Device, st.Inode)] = change.Path;
        }
        using var file = OpenForReading(host);
        var size = file.Length;
        _tar.WriteHeader(header with { Size = size });
        var remaining = size;
        while (remaining > 0)
        {
            var n = file.Read(_buffer, 0, (int)Math.Min(_buffer.Length, remaining));
            if (n == 0)
            {
                throw new IOException($"{host} shrank while it was being archived");
            }
            output.Write(_buffer, 0, n);
            remaining -= n;
        }
        _tar.PadData(size);
    }

    /// <summary>
    /// Opens a file to archive with O_NOATIME where allowed (our own files, or as root): a layer's files were
    /// just written, so reading them would otherwise dirty every inode (relatime) and cost a journal write each.
    /// </summary>
    private static FileStream OpenForReading(string host)
    {
        var fd = Syscalls.Openat(Syscalls.AtFdCwd, host, Syscalls.ORdOnly | Syscalls.OCloExec | Syscalls.ONoFollow | Syscalls.ONoAtime, 0);
        if (fd < 0 && Errno.Last == Syscalls.EPERM) // not our file and no CAP_FOWNER
        {
            fd = Syscalls.Openat(Syscalls.AtFdCwd, host, Syscalls.ORdOnly | Syscalls.OCloExec | Syscalls.ONoFollow, 0);
        }
        Errno.Check(fd, "open", host);
        return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 0);
    }

    private long Clamp(long mtimeNs)
    {
        var seconds = mtimeNs / 1_000_000_000;
        return sourceDateEpoch is { } epoch && seconds > epoch ? epoch : seconds;
    }

    private static List<KeyValuePair<string, byte[]>> ReadXattrs(string path)
    {
        var result = new List<KeyValuePair<string, byte[]>>();
        foreach (var name in Syscalls.ListXattrs(path))
        {
            if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal))
            {
                continue;
            }
            if (Syscalls.GetXattr(path, name) is { } value)
            {
                result.Add(new(name, value));
            }
        }
        return result;
    }
}
