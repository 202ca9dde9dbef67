using System.Threading.Channels;
using Builder.Server.Protocol;
using Builder.Snapshotter.Paths;
using Google.Protobuf;

namespace Builder.Server.Context;

/// <summary>
/// Brings a <see cref="ContextCopy"/> up to date with a client's context in two parts. <see cref="StartAsync"/>
/// reads the manifest, removes what is gone, makes directories, symlinks and empty stand-ins for the files
/// whose type, size or mtime changed, sets every attribute it can already, and asks for those files, the
/// ones the Dockerfile reads first at the front. The build starts then. <see cref="ReceiveAsync"/> writes
/// the chunks as they come, completes each file's owner, mode and time, marks it arrived in the returned
/// <see cref="ContextArrival"/>, and records the manifest last. A sync that does not finish leaves no
/// manifest, so the next one starts from an empty copy.
/// </summary>
internal sealed class ContextSync(ContextCopy copy, ChannelReader<ClientMessage> incoming, Func<ServerMessage, CancellationToken, Task> send, ManifestValidator validator)
{
    private const int IndexesPerRequest = 4096;
    private readonly bool _chown = Environment.IsPrivilegedProcess;
    private List<ContextEntry> _entries = [];
    private List<uint> _fetch = [];
    private ContextArrival? _arrival;

    /// <summary>Everything but the changed files' contents; <paramref name="firstReads"/> orders the request (<see cref="ContextOrder"/>).</summary>
    public async Task<ContextArrival> StartAsync(IReadOnlyList<string> firstReads, CancellationToken cancellationToken)
    {
        var entries = await ReadManifestAsync(cancellationToken).ConfigureAwait(false);
        var old = LoadPrevious();
        File.Delete(copy.ManifestPath);
        using var files = new ContainedFiles(copy.TreePath);
        using (var rooted = RootedDirectory.Open(copy.TreePath))
        {
            var wanted = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
            foreach (var (path, previous) in old.OrderByDescending(e => e.Key, StringComparer.Ordinal))
            {
                if (!wanted.TryGetValue(path, out var now) || now.Type != previous.Type || (now.Type == EntryType.Symlink && now.LinkTarget != previous.LinkTarget))
                {
                    rooted.RemoveAll(path);
                    old.Remove(path);
                }
            }
        }

        var fetch = new List<uint>();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            old.TryGetValue(entry.Path, out var previous);
            switch (entry.Type)
            {
                case EntryType.Directory:
                    if (previous is null)
                    {
                        files.CreateDirectory(entry.Path, 0x1C0);
                    }
                    break;
                case EntryType.Symlink:
                    if (previous is null)
                    {
                        files.CreateSymlink(entry.Path, entry.LinkTarget);
                        SetAttributes(files, entry);
                    }
                    else if (!SameAttributes(previous, entry))
                    {
                        SetAttributes(files, entry);
                    }
                    break;
                default:
                    if (previous is null || previous.Size != entry.Size || previous.MtimeNs != entry.MtimeNs)
                    {
                        // A new inode, not the old one truncated: nothing that still holds the old content
                        // (a snapshot sharing it, an open reader) sees the rewrite, and its mode cannot block it.
                        if (previous is not null)
                        {
                            files.Remove(entry.Path, isDirectory: false);
                        }
                        files.CreateFile(entry.Path).Dispose();
                        fetch.Add((uint)i);
                    }
                    else if (!SameAttributes(previous, entry))
                    {
                        SetAttributes(files, entry);
                    }
                    break;
            }
        }
        // Directories last and deepest first: making their children changed their times. Writing the
        // stand-ins' contents later changes no directory.
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].Type == EntryType.Directory)
            {
                SetAttributes(files, entries[i]);
            }
        }

        _entries = entries;
        _fetch = ContextOrder.Sort(fetch, index => entries[(int)index].Path, firstReads);
        _arrival = new ContextArrival(copy.TreePath, entries, _fetch.Select(index => entries[(int)index].Path));
        for (var start = 0; start < _fetch.Count; start += IndexesPerRequest)
        {
            var request = new FileRequest();
            request.Indexes.Add(_fetch.Skip(start).Take(IndexesPerRequest));
            await send(new ServerMessage { Files = request }, cancellationToken).ConfigureAwait(false);
        }
        return _arrival;
    }

    /// <summary>Receives the files asked for, in the order asked; each is readable once marked arrived.</summary>
    public async Task<ContextSyncDone> ReceiveAsync(CancellationToken cancellationToken)
    {
        var arrival = _arrival ?? throw new InvalidOperationException("ReceiveAsync before StartAsync");
        try
        {
            using var files = new ContainedFiles(copy.TreePath);
            long bytes = 0;
            foreach (var index in _fetch)
            {
                var entry = _entries[(int)index];
                bytes += await ReceiveFileAsync(files, entry, index, cancellationToken).ConfigureAwait(false);
                SetAttributes(files, entry);
                arrival.Arrived(entry.Path);
            }
            SaveManifest(_entries);
            return new ContextSyncDone { FilesReceived = (uint)_fetch.Count, BytesReceived = bytes, Entries = (uint)_entries.Count };
        }
        catch (Exception e)
        {
            arrival.Fail(e);
            throw;
        }
    }

    private void SetAttributes(ContainedFiles files, ContextEntry entry) =>
        files.SetAttributes(entry.Path, entry.Type == EntryType.Symlink, entry.Uid, entry.Gid, entry.Mode, entry.MtimeNs, _chown);

    private static bool SameAttributes(ContextEntry a, ContextEntry b) =>
        a.Mode == b.Mode && a.Uid == b.Uid && a.Gid == b.Gid && a.MtimeNs == b.MtimeNs;

    private async Task<List<ContextEntry>> ReadManifestAsync(CancellationToken cancellationToken)
    {
        var entries = new List<ContextEntry>();
        while (true)
        {
            var message = await NextAsync(cancellationToken).ConfigureAwait(false);
            if (message.KindCase != ClientMessage.KindOneofCase.Manifest)
            {
                throw new InvalidContextException($"expected the context manifest, got {message.KindCase}");
            }
            foreach (var entry in message.Manifest.Entries)
            {
                validator.Check(entry);
                entries.Add(entry);
            }
            if (message.Manifest.Done)
            {
                return entries;
            }
        }
    }

    private async Task<long> ReceiveFileAsync(ContainedFiles files, ContextEntry entry, uint index, CancellationToken cancellationToken)
    {
        long written = 0;
        await using (var stream = files.CreateFile(entry.Path))
        {
            while (true)
            {
                var message = await NextAsync(cancellationToken).ConfigureAwait(false);
                if (message.KindCase != ClientMessage.KindOneofCase.File || message.File.Index != index)
                {
                    throw new InvalidContextException($"expected the content of \"{entry.Path}\" (file {index}), got {Describe(message)}");
                }
                written += message.File.Data.Length;
                if (written > entry.Size)
                {
                    throw new InvalidContextException($"\"{entry.Path}\": more bytes were sent than its size of {entry.Size}");
                }
                await stream.WriteAsync(message.File.Data.Memory, cancellationToken).ConfigureAwait(false);
                if (message.File.Eof)
                {
                    break;
                }
            }
        }
        if (written != entry.Size)
        {
            throw new InvalidContextException($"\"{entry.Path}\": {written} bytes were sent for a file of {entry.Size} (did it change during the build?)");
        }
        return written;
    }

    private static string Describe(ClientMessage message) =>
        message.KindCase == ClientMessage.KindOneofCase.File ? $"a chunk of file {message.File.Index}" : message.KindCase.ToString();

    private async Task<ClientMessage> NextAsync(CancellationToken cancellationToken)
    {
        if (await incoming.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && incoming.TryRead(out var message))
        {
            return message;
        }
        throw new InvalidContextException("the client ended the stream during the context transfer");
    }

    /// <summary>The manifest of the last completed sync; without one, the copy is emptied.</summary>
    private Dictionary<string, ContextEntry> LoadPrevious()
    {
        var previous = new Dictionary<string, ContextEntry>(StringComparer.Ordinal);
        if (!File.Exists(copy.ManifestPath))
        {
            using var rooted = RootedDirectory.Open(copy.TreePath);
            foreach (var name in Directory.EnumerateFileSystemEntries(copy.TreePath).Select(Path.GetFileName))
            {
                rooted.RemoveAll(name!);
            }
            return previous;
        }
        using var stream = File.OpenRead(copy.ManifestPath);
        while (stream.Position < stream.Length)
        {
            var entry = ContextEntry.Parser.ParseDelimitedFrom(stream);
            previous[entry.Path] = entry;
        }
        return previous;
    }

    private void SaveManifest(List<ContextEntry> entries)
    {
        var temp = copy.ManifestPath + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (var entry in entries)
            {
                entry.WriteDelimitedTo(stream);
            }
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, copy.ManifestPath, overwrite: true);
    }
}
