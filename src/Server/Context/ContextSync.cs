using System.Threading.Channels;
using Builder.Server.Protocol;
using Builder.Snapshotter.Paths;
using Google.Protobuf;

namespace Builder.Server.Context;

/// <summary>
/// Brings a <see cref="ContextCopy"/> up to date with a client's context: reads the manifest, removes what
/// is gone, makes directories and symlinks, asks only for the files whose type, size or mtime changed,
/// writes their chunks, sets owners, modes and times, and records the manifest. A sync that does not
/// finish leaves no manifest, so the next one starts from an empty copy.
/// </summary>
internal sealed class ContextSync(ContextCopy copy, ChannelReader<ClientMessage> incoming, Func<ServerMessage, CancellationToken, Task> send, ManifestValidator validator)
{
    private const int IndexesPerRequest = 4096;

    public async Task<ContextSyncDone> RunAsync(CancellationToken cancellationToken)
    {
        var entries = await ReadManifestAsync(cancellationToken).ConfigureAwait(false);
        var old = LoadPrevious();
        File.Delete(copy.ManifestPath);
        var chown = Environment.IsPrivilegedProcess;
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
        var touched = new List<ContextEntry>();
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
                        touched.Add(entry);
                    }
                    else if (!SameAttributes(previous, entry))
                    {
                        touched.Add(entry);
                    }
                    break;
                default:
                    if (previous is null || previous.Size != entry.Size || previous.MtimeNs != entry.MtimeNs)
                    {
                        fetch.Add((uint)i);
                        touched.Add(entry);
                    }
                    else if (!SameAttributes(previous, entry))
                    {
                        touched.Add(entry);
                    }
                    break;
            }
        }

        var (count, bytes) = await FetchAsync(files, entries, fetch, cancellationToken).ConfigureAwait(false);
        foreach (var entry in touched)
        {
            files.SetAttributes(entry.Path, entry.Type == EntryType.Symlink, entry.Uid, entry.Gid, entry.Mode, entry.MtimeNs, chown);
        }
        // Directories last and deepest first: making their children changed their times.
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].Type == EntryType.Directory)
            {
                files.SetAttributes(entries[i].Path, false, entries[i].Uid, entries[i].Gid, entries[i].Mode, entries[i].MtimeNs, chown);
            }
        }
        SaveManifest(entries);
        return new ContextSyncDone { FilesReceived = (uint)count, BytesReceived = bytes, Entries = (uint)entries.Count };
    }

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

    private async Task<(int Count, long Bytes)> FetchAsync(ContainedFiles files, List<ContextEntry> entries, List<uint> fetch, CancellationToken cancellationToken)
    {
        for (var start = 0; start < fetch.Count; start += IndexesPerRequest)
        {
            var request = new FileRequest();
            request.Indexes.Add(fetch.Skip(start).Take(IndexesPerRequest));
            await send(new ServerMessage { Files = request }, cancellationToken).ConfigureAwait(false);
        }
        long bytes = 0;
        foreach (var index in fetch)
        {
            var entry = entries[(int)index];
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
            bytes += written;
        }
        return (fetch.Count, bytes);
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
