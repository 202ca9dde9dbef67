using Builder.Snapshotter.Metadata;
using Builder.Snapshotter.Mounts;
using Builder.Snapshotter.Paths;
using Microsoft.Data.Sqlite;

namespace Builder.Snapshotter.Snapshots;

/// <summary>
/// Snapshots under <c>&lt;root&gt;/snapshots/&lt;id&gt;</c> with their lifecycle in the metadata db. The driver
/// (overlayfs, or the copying fallback) is chosen at open and reported by <see cref="DriverName"/>.
/// </summary>
public sealed class SnapshotStore : ISnapshotter
{
    private readonly MetadataDb _db;
    private readonly string _snapshotsDir;
    private readonly string _tempDir;
    private readonly ISnapshotDriver _driver;

    internal SnapshotStore(MetadataDb db, string dataRoot, bool useOverlay)
    {
        _db = db;
        _snapshotsDir = Path.Combine(dataRoot, "snapshots");
        _tempDir = Path.Combine(dataRoot, "tmp");
        Directory.CreateDirectory(_snapshotsDir);
        Native.Errno.Check(Native.Syscalls.Fchmodat(Native.Syscalls.AtFdCwd, _snapshotsDir, 0x1C0, 0), "chmod", _snapshotsDir);
        _driver = useOverlay ? new Overlay.OverlayDriver() : new CopyDriver();
    }

    /// <summary>"overlayfs" or "copy" (no overlayfs here: each snapshot is a full copy, slower).</summary>
    public string DriverName => _driver.Name;

    /// <summary>True when a committed snapshot's directory holds only its own changes (overlay upperdir).</summary>
    public bool StoresDiffs => _driver.StoresDiffs;

    public IReadOnlyList<MountSpec> Prepare(string key, string? parent, IReadOnlyDictionary<string, string>? labels = null) =>
        Create(key, parent, SnapshotKind.Active, labels);

    public IReadOnlyList<MountSpec> View(string key, string? parent, IReadOnlyDictionary<string, string>? labels = null) =>
        Create(key, parent, SnapshotKind.View, labels);

    public IReadOnlyList<MountSpec> Mounts(string key)
    {
        var row = Require(key);
        if (row.Kind == SnapshotKind.Committed)
        {
            throw new InvalidOperationException($"snapshot '{key}' is committed; mount it through View or Prepare");
        }
        return _driver.Mounts(row.Kind, PathsOf(row.Id), ParentChain(row.ParentId));
    }

    public void Commit(string name, string key, IReadOnlyDictionary<string, string>? labels = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(key);
        _db.InTransaction((c, tx) =>
        {
            var row = SnapshotRows.Find(c, tx, key) ?? throw new KeyNotFoundException($"snapshot '{key}' does not exist");
            if (row.Kind != SnapshotKind.Active)
            {
                throw new InvalidOperationException($"cannot commit snapshot '{key}': it is {row.Kind.ToString().ToLowerInvariant()}, not active");
            }
            if (SnapshotRows.Find(c, tx, name) is not null)
            {
                throw new InvalidOperationException($"cannot commit snapshot '{key}' as '{name}': '{name}' already exists");
            }
            c.Exec("UPDATE snapshots SET key=$name, kind=$kind, updated=$now WHERE id=$id", tx,
                ("$name", name), ("$kind", (int)SnapshotKind.Committed), ("$now", Now()), ("$id", row.Id));
            SnapshotRows.SetLabels(c, tx, row.Id, labels);
            return 0;
        });
    }

    public void Remove(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var id = _db.InTransaction((c, tx) =>
        {
            var row = SnapshotRows.Find(c, tx, key) ?? throw new KeyNotFoundException($"snapshot '{key}' does not exist");
            var children = Convert.ToInt64(c.Scalar("SELECT count(*) FROM snapshots WHERE parent_id=$id", tx, ("$id", row.Id)), System.Globalization.CultureInfo.InvariantCulture);
            if (children > 0)
            {
                throw new InvalidOperationException($"cannot remove snapshot '{key}': it is the parent of {children} other snapshot(s)");
            }
            c.Exec("DELETE FROM snapshots WHERE id=$id", tx, ("$id", row.Id));
            return row.Id;
        });
        DeleteDirectory(PathsOf(id).Dir);
    }

    public SnapshotInfo Stat(string key) => _db.Run(c =>
    {
        var row = SnapshotRows.Find(c, null, key) ?? throw new KeyNotFoundException($"snapshot '{key}' does not exist");
        return SnapshotRows.ToInfo(c, row);
    });

    public SnapshotUsage Usage(string key)
    {
        var row = Require(key);
        long size = 0, inodes = 0;
        var seen = new HashSet<ulong>();
        void Walk(string dir)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (Native.Syscalls.Statx(Native.Syscalls.AtFdCwd, entry, Native.Syscalls.AtSymlinkNoFollow, out var st) != 0 || !seen.Add(st.Inode))
                {
                    continue; // hardlinks count once
                }
                inodes++;
                size += st.Blocks * 512;
                if (st.IsDirectory)
                {
                    Walk(entry);
                }
            }
        }
        Walk(PathsOf(row.Id).Fs);
        return new SnapshotUsage(size, inodes);
    }

    public IEnumerable<SnapshotInfo> Walk(Func<SnapshotInfo, bool>? filter = null)
    {
        var all = _db.Run(c =>
        {
            var rows = SnapshotRows.All(c);
            return rows.Select(r => SnapshotRows.ToInfo(c, r)).ToList();
        });
        return filter is null ? all : all.Where(filter);
    }

    /// <summary>Replaces the labels of a snapshot (a null value deletes that label).</summary>
    public void SetLabels(string key, IReadOnlyDictionary<string, string?> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        _db.InTransaction((c, tx) =>
        {
            var row = SnapshotRows.Find(c, tx, key) ?? throw new KeyNotFoundException($"snapshot '{key}' does not exist");
            foreach (var (name, value) in labels)
            {
                if (value is null)
                {
                    c.Exec("DELETE FROM labels WHERE snapshot_id=$id AND name=$n", tx, ("$id", row.Id), ("$n", name));
                }
                else
                {
                    c.Exec("INSERT OR REPLACE INTO labels(snapshot_id,name,value) VALUES($id,$n,$v)", tx, ("$id", row.Id), ("$n", name), ("$v", value));
                }
            }
            c.Exec("UPDATE snapshots SET updated=$now WHERE id=$id", tx, ("$now", Now()), ("$id", row.Id));
            return 0;
        });
    }

    /// <summary>The directory holding the snapshot's own tree (an overlay upperdir, or a full tree for the copy driver).</summary>
    internal string FsPath(string key) => PathsOf(Require(key).Id).Fs;

    /// <summary>The committed parent's key, or null.</summary>
    internal string? ParentKey(string key) => Stat(key).Parent;

    internal long IdOf(string key) => Require(key).Id;

    /// <summary>
    /// At open: removes snapshots that never finished (active or view ones belong to a process that is
    /// gone) and directories without a row (a crash between mkdir and the insert's commit).
    /// </summary>
    internal RecoveryReport Recover()
    {
        var removedRows = _db.InTransaction((c, tx) =>
        {
            // Children before parents: delete deepest first by repeating until nothing non-committed is left.
            var ids = new List<long>();
            using (var cmd = c.Command("SELECT id FROM snapshots WHERE kind<>$k ORDER BY id DESC", tx, ("$k", (int)SnapshotKind.Committed)))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    ids.Add(r.GetInt64(0));
                }
            }
            foreach (var id in ids)
            {
                c.Exec("DELETE FROM snapshots WHERE id=$id", tx, ("$id", id));
            }
            return ids.Count;
        });
        var known = _db.Run(c => SnapshotRows.All(c).Select(r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet());
        var removedDirs = 0;
        foreach (var dir in Directory.EnumerateDirectories(_snapshotsDir))
        {
            if (!known.Contains(Path.GetFileName(dir)))
            {
                DeleteDirectory(dir);
                removedDirs++;
            }
        }
        return new RecoveryReport(removedRows, removedDirs);
    }

    private IReadOnlyList<MountSpec> Create(string key, string? parent, SnapshotKind kind, IReadOnlyDictionary<string, string>? labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (parent is { Length: 0 })
        {
            throw new ArgumentException("parent must be null or a committed snapshot's name", nameof(parent));
        }
        return _db.InTransaction((c, tx) =>
        {
            if (SnapshotRows.Find(c, tx, key) is not null)
            {
                throw new InvalidOperationException($"snapshot '{key}' already exists");
            }
            long? parentId = null;
            if (parent is not null)
            {
                var p = SnapshotRows.Find(c, tx, parent) ?? throw new KeyNotFoundException($"parent snapshot '{parent}' does not exist");
                if (p.Kind != SnapshotKind.Committed)
                {
                    throw new InvalidOperationException($"parent snapshot '{parent}' is not committed");
                }
                parentId = p.Id;
            }
            var now = Now();
            c.Exec("INSERT INTO snapshots(key,parent_id,kind,created,updated) VALUES($k,$p,$kind,$now,$now)", tx,
                ("$k", key), ("$p", parentId), ("$kind", (int)kind), ("$now", now));
            var id = (long)c.Scalar("SELECT last_insert_rowid()", tx)!;
            SnapshotRows.SetLabels(c, tx, id, labels);
            var paths = PathsOf(id);
            var chain = ParentChain(c, tx, parentId);
            try
            {
                Directory.CreateDirectory(paths.Dir);
                _driver.Create(kind, paths, chain);
            }
            catch
            {
                DeleteDirectory(paths.Dir);
                throw; // the transaction is rolled back by its disposal
            }
            return _driver.Mounts(kind, paths, chain);
        });
    }

    private SnapshotRow Require(string key) => _db.Run(c => SnapshotRows.Find(c, null, key)) ?? throw new KeyNotFoundException($"snapshot '{key}' does not exist");

    private List<string> ParentChain(long? parentId) => _db.Run(c => ParentChain(c, null, parentId));

    private List<string> ParentChain(SqliteConnection c, SqliteTransaction? tx, long? parentId)
    {
        var chain = new List<string>();
        for (var id = parentId; id is not null; id = SnapshotRows.ParentOf(c, tx, id.Value))
        {
            chain.Add(PathsOf(id.Value).Fs);
        }
        return chain;
    }

    private SnapshotPaths PathsOf(long id) => new(Path.Combine(_snapshotsDir, id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Renames into tmp/ first (one atomic step), then deletes, so a crash leaves only tmp/ debris.</summary>
    private void DeleteDirectory(string dir)
    {
        if (!Directory.Exists(dir))
        {
            return;
        }
        var trash = Path.Combine(_tempDir, "rm-" + Guid.NewGuid().ToString("N"));
        Directory.Move(dir, trash);
        using var tmp = RootedDirectory.Open(_tempDir);
        tmp.RemoveAll(Path.GetFileName(trash));
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>What recovery at open removed.</summary>
public sealed record RecoveryReport(int UnfinishedSnapshots, int OrphanDirectories);
