using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Builder.Oci;
using Builder.Snapshotter.Context;
using Builder.Snapshotter.FileOps;
using Builder.Snapshotter.Metadata;
using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Checksum;

/// <summary>
/// Content checksums for cache keys: the digest of exactly the paths a COPY or ADD reads. Per file it
/// covers type, mode, owner, size, link target, xattrs and content, never mtime; per directory, its
/// entries. A file's content digest is remembered by (device, inode) together with size, mtime and ctime:
/// while all match the file is not read again, and any write (which always moves ctime) forces a re-hash.
/// Remembered digests live in memory and in the metadata db, so they survive a restart.
/// </summary>
public sealed class ChecksumCache
{
    private readonly MetadataDb _db;
    private readonly ConcurrentDictionary<(ulong Dev, ulong Ino), CachedContent> _memory = new();

    internal ChecksumCache(MetadataDb db) => _db = db;

    /// <summary>Files whose content was read and hashed (not found in the cache) since this instance was made.</summary>
    public long FilesHashed => Interlocked.Read(ref _filesHashed);

    private long _filesHashed;

    /// <summary>
    /// The checksum of <paramref name="sources"/> (wildcards allowed, each source path's own symlinks followed
    /// inside the root as COPY does) under <paramref name="root"/>, without <paramref name="excludes"/>.
    /// </summary>
    public Digest Checksum(string root, IReadOnlyList<string> sources, IReadOnlyList<string>? excludes = null) =>
        Checksum(root, sources, excludes, excludesRelativeToRoot: false);

    /// <summary>
    /// Like <see cref="Checksum(string, IReadOnlyList{string}, IReadOnlyList{string}?)"/>, but the exclude
    /// patterns are a build context's .dockerignore: matched against paths relative to <paramref name="root"/>.
    /// </summary>
    public Digest ContextChecksum(string root, IReadOnlyList<string> sources, IReadOnlyList<string>? contextExcludes) =>
        Checksum(root, sources, contextExcludes, excludesRelativeToRoot: true);

    private Digest Checksum(string root, IReadOnlyList<string> sources, IReadOnlyList<string>? excludes, bool excludesRelativeToRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(sources);
        var matcher = excludes is { Count: > 0 } ? new PatternMatcher(excludes) : null;
        var pending = new List<(FileStat Stat, Digest Digest)>();
        using var total = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var source in sources)
        {
            var matches = SourcePath.Expand(root, source);
            if (matches.Count == 0)
            {
                throw new FileNotFoundException(SourcePath.HasWildcards(source) ? $"no source files match '{source}'" : $"source '{source}' not found");
            }
            foreach (var match in matches)
            {
                var baseRelative = excludesRelativeToRoot && match.RelativePath != "." ? match.RelativePath : "";
                if (excludesRelativeToRoot && matcher is not null && baseRelative.Length > 0 && matcher.Excludes(baseRelative)
                    && !(Directory.Exists(match.HostPath) && matcher.MayReincludeBelow(baseRelative)))
                {
                    continue;
                }
                var node = Node(match.HostPath, baseRelative, matcher, pending);
                total.AppendData(Encoding.UTF8.GetBytes(match.RelativePath));
                total.AppendData([0]);
                total.AppendData(node);
            }
        }
        Persist(pending);
        return Digest.FromSha256Bytes(total.GetHashAndReset());
    }

    private byte[] Node(string host, string relative, PatternMatcher? excludes, List<(FileStat, Digest)> pending)
    {
        Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, host, Syscalls.AtSymlinkNoFollow, out var st), "lstat", host);
        // chmod, chown, setxattr and writes all move ctime: an unchanged ctime means the whole node is unchanged.
        if (st.IsRegular && _memory.TryGetValue((st.Device, st.Inode), out var known) && known.Matches(st) && known.NodeHash is { } nodeHash)
        {
            return nodeHash;
        }
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> header = stackalloc byte[28];
        BinaryPrimitives.WriteUInt32LittleEndian(header, st.Mode);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], st.Uid);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], st.Gid);
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], st.IsRegular ? st.Size : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], st.RdevMajor);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], st.RdevMinor);
        h.AppendData(header);
        if (!st.IsSymlink)
        {
            foreach (var name in Syscalls.ListXattrs(host).Order(StringComparer.Ordinal))
            {
                h.AppendData(Encoding.UTF8.GetBytes(name));
                h.AppendData([0]);
                h.AppendData(Syscalls.GetXattr(host, name) ?? []);
                h.AppendData([0]);
            }
        }
        switch (st.Type)
        {
            case Syscalls.SIfReg:
                h.AppendData(Encoding.ASCII.GetBytes(ContentDigest(host, st, pending).Hex));
                break;
            case Syscalls.SIfLnk:
                h.AppendData(Encoding.UTF8.GetBytes(Syscalls.Readlinkat(Syscalls.AtFdCwd, host) ?? ""));
                break;
            case Syscalls.SIfDir:
                var names = new List<string>();
                foreach (var entry in Directory.EnumerateFileSystemEntries(host))
                {
                    names.Add(Path.GetFileName(entry));
                }
                names.Sort(StringComparer.Ordinal);
                foreach (var name in names)
                {
                    var childRel = relative.Length == 0 ? name : relative + "/" + name;
                    if (excludes is not null && excludes.Excludes(childRel))
                    {
                        continue;
                    }
                    h.AppendData(Encoding.UTF8.GetBytes(name));
                    h.AppendData([0]);
                    h.AppendData(Node(Path.Combine(host, name), childRel, excludes, pending));
                }
                break;
        }
        var result = h.GetHashAndReset();
        if (st.IsRegular && _memory.TryGetValue((st.Device, st.Inode), out var remembered) && remembered.Matches(st))
        {
            _memory[(st.Device, st.Inode)] = remembered with { NodeHash = result };
        }
        return result;
    }

    private Digest ContentDigest(string host, FileStat st, List<(FileStat, Digest)> pending)
    {
        var key = (st.Device, st.Inode);
        if (_memory.TryGetValue(key, out var cached) && cached.Matches(st))
        {
            return cached.Digest;
        }
        var stored = Load(st);
        if (stored is not null)
        {
            _memory[key] = new CachedContent(st.Size, st.MtimeNs, st.CtimeNs, stored);
            return stored;
        }
        Digest digest;
        using (var file = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 0, FileOptions.SequentialScan))
        {
            digest = Digest.FromSha256Bytes(SHA256.HashData(file));
        }
        Interlocked.Increment(ref _filesHashed);
        // Re-check: a write while hashing moves ctime, and then the digest must not be remembered.
        if (Syscalls.Statx(Syscalls.AtFdCwd, host, Syscalls.AtSymlinkNoFollow, out var after) == 0 && after.CtimeNs == st.CtimeNs && after.Size == st.Size)
        {
            _memory[key] = new CachedContent(st.Size, st.MtimeNs, st.CtimeNs, digest);
            pending.Add((st, digest));
        }
        return digest;
    }

    /// <summary>
    /// The stored digest for this exact file state. The first lookup on a device reads that device's
    /// rows in one query: a warm build of a 2,000-file context then costs one query, not 2,000.
    /// </summary>
    private Digest? Load(FileStat st)
    {
        lock (_stored)
        {
            if (_loadedDevices.Add(st.Device))
            {
                _db.Run(c =>
                {
                    using var cmd = c.Command("SELECT ino, size, mtime, ctime, digest FROM checksums WHERE dev=$d", null, ("$d", (long)st.Device));
                    using var r = cmd.ExecuteReader();
                    while (r.Read())
                    {
                        _stored[(st.Device, (ulong)r.GetInt64(0))] = new StoredRow(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetString(4));
                    }
                    return 0;
                });
            }
            return _stored.TryGetValue((st.Device, st.Inode), out var row) && row.Size == st.Size && row.MtimeNs == st.MtimeNs && row.CtimeNs == st.CtimeNs
                ? Digest.Parse(row.Digest)
                : null;
        }
    }

    private readonly Dictionary<(ulong Device, ulong Inode), StoredRow> _stored = [];
    private readonly HashSet<ulong> _loadedDevices = [];

    private sealed record StoredRow(long Size, long MtimeNs, long CtimeNs, string Digest);

    private void Persist(List<(FileStat Stat, Digest Digest)> pending)
    {
        if (pending.Count == 0)
        {
            return;
        }
        _db.InTransaction((c, tx) =>
        {
            foreach (var (st, digest) in pending)
            {
                c.Exec("INSERT OR REPLACE INTO checksums(dev,ino,size,mtime,ctime,digest) VALUES($d,$i,$s,$m,$c,$g)", tx,
                    ("$d", (long)st.Device), ("$i", (long)st.Inode), ("$s", st.Size), ("$m", st.MtimeNs), ("$c", st.CtimeNs), ("$g", digest.ToString()));
            }
            return 0;
        });
    }

    /// <summary>Forgets the in-memory copy (what a restart does); the db keeps the digests.</summary>
    public void DropMemory()
    {
        _memory.Clear();
        lock (_stored)
        {
            _stored.Clear();
            _loadedDevices.Clear();
        }
    }

    private sealed record CachedContent(long Size, long MtimeNs, long CtimeNs, Digest Digest)
    {
        /// <summary>The file's whole node hash (header fields, xattrs, content), valid while ctime is unchanged.</summary>
        public byte[]? NodeHash { get; init; }

        public bool Matches(FileStat st) => st.Size == Size && st.MtimeNs == MtimeNs && st.CtimeNs == CtimeNs;
    }
}
