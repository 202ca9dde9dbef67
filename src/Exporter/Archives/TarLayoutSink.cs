using System.Formats.Tar;
using Builder.Oci;
using Builder.Snapshotter.Content;

namespace Builder.Exporter.Archives;

/// <summary>
/// Writes layout files as ustar entries with fixed owner, mode and time, so the same image always gives
/// the same archive bytes. Blobs are streamed from the content store (never held in memory).
/// </summary>
internal sealed class TarLayoutSink : ILayoutSink, IAsyncDisposable
{
    private readonly TarWriter _tar;
    private readonly ContentStore _content;
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal);

    public TarLayoutSink(Stream destination, ContentStore content)
    {
        _tar = new TarWriter(destination, TarEntryFormat.Ustar, leaveOpen: true);
        _content = content;
    }

    public async Task WriteFileAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await WriteParentsAsync(name, cancellationToken).ConfigureAwait(false);
        using var data = new MemoryStream(bytes.ToArray(), writable: false);
        await _tar.WriteEntryAsync(NewEntry(TarEntryType.RegularFile, name, data), cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteBlobAsync(Digest digest, CancellationToken cancellationToken)
    {
        var name = LayoutPaths.Blob(digest);
        await WriteParentsAsync(name, cancellationToken).ConfigureAwait(false);
        await using var data = _content.OpenRead(digest);
        await _tar.WriteEntryAsync(NewEntry(TarEntryType.RegularFile, name, data), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _tar.DisposeAsync();

    /// <summary>Directory entries before their files, as `docker save` writes them (some readers want them).</summary>
    private async Task WriteParentsAsync(string name, CancellationToken cancellationToken)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        while (slash > 0)
        {
            var dir = name[..(slash + 1)];
            if (_directories.Add(dir))
            {
                await _tar.WriteEntryAsync(NewEntry(TarEntryType.Directory, dir, null), cancellationToken).ConfigureAwait(false);
            }
            slash = name.IndexOf('/', slash + 1);
        }
    }

    private static UstarTarEntry NewEntry(TarEntryType type, string name, Stream? data)
    {
        var entry = new UstarTarEntry(type, name)
        {
            Mode = type == TarEntryType.Directory
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = DateTimeOffset.UnixEpoch,
            Uid = 0,
            Gid = 0,
        };
        if (data is not null)
        {
            entry.DataStream = data;
        }
        return entry;
    }
}
