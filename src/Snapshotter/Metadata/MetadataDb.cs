using Microsoft.Data.Sqlite;

namespace Builder.Snapshotter.Metadata;

/// <summary>
/// The snapshotter's SQLite database (WAL): snapshots and their parents, labels, layer blobs computed from
/// snapshots, content checksums, leases and GC references. One connection, serialized by a lock: every
/// operation is a short statement or transaction, and SQLite itself serializes writers anyway.
/// </summary>
public sealed class MetadataDb : IDisposable
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public MetadataDb(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        // No checkpoint when the connection closes: it costs two fsyncs at the end of every command, and since
        // the WAL is then deleted, two more (the new WAL and its directory) at the next command's first write.
        // The WAL stays on disk (consistent, replayed at open) and is checkpointed when it reaches
        // wal_autocheckpoint pages (kept small so the replay at open stays short).
        SQLitePCL.raw.sqlite3_db_config(_connection.Handle, SQLitePCL.raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA wal_autocheckpoint=500;");
        CreateSchema();
    }

    /// <summary>Runs <paramref name="work"/> with the connection, alone.</summary>
    public T Run<T>(Func<SqliteConnection, T> work)
    {
        lock (_lock)
        {
            return work(_connection);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction: all of it lands or none does.</summary>
    public T InTransaction<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            var result = work(_connection, tx);
            tx.Commit();
            return result;
        }
    }

    public void Execute(string sql)
    {
        lock (_lock)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
    }

    private void CreateSchema()
    {
        Execute($"""
            CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS snapshots (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT NOT NULL UNIQUE,
                parent_id INTEGER REFERENCES snapshots(id),
                kind INTEGER NOT NULL,
                created INTEGER NOT NULL,
                updated INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent_id);
            CREATE TABLE IF NOT EXISTS labels (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (snapshot_id, name));
            CREATE TABLE IF NOT EXISTS layers (
                snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
                compression TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL,
                diff_id TEXT NOT NULL, media_type TEXT NOT NULL, PRIMARY KEY (snapshot_id, compression));
            CREATE TABLE IF NOT EXISTS checksums (
                dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,
                mtime INTEGER NOT NULL, ctime INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (dev, ino));
            CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, created INTEGER NOT NULL, expires INTEGER);
            CREATE TABLE IF NOT EXISTS lease_resources (
                lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
                kind TEXT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (lease_id, kind, ref));
            CREATE TABLE IF NOT EXISTS gc_references (
                owner_kind TEXT NOT NULL, owner TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
                created INTEGER NOT NULL, PRIMARY KEY (owner_kind, owner, kind, ref));
            INSERT INTO schema_version SELECT {SchemaVersion} WHERE NOT EXISTS (SELECT 1 FROM schema_version);
            """);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _connection.Dispose();
        }
    }
}
