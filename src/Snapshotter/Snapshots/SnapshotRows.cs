using Builder.Snapshotter.Metadata;
using Microsoft.Data.Sqlite;

namespace Builder.Snapshotter.Snapshots;

/// <summary>One row of the snapshots table.</summary>
internal sealed record SnapshotRow(long Id, string Key, long? ParentId, SnapshotKind Kind, long Created, long Updated);

/// <summary>The SQL behind <see cref="SnapshotStore"/>; callers hold the db lock.</summary>
internal static class SnapshotRows
{
    private const string Columns = "id,key,parent_id,kind,created,updated";

    public static SnapshotRow? Find(SqliteConnection c, SqliteTransaction? tx, string key)
    {
        using var cmd = c.Command($"SELECT {Columns} FROM snapshots WHERE key=$k", tx, ("$k", key));
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    public static List<SnapshotRow> All(SqliteConnection c)
    {
        using var cmd = c.Command($"SELECT {Columns} FROM snapshots ORDER BY id", null);
        using var r = cmd.ExecuteReader();
        var rows = new List<SnapshotRow>();
        while (r.Read())
        {
            rows.Add(Read(r));
        }
        return rows;
    }

    public static long? ParentOf(SqliteConnection c, SqliteTransaction? tx, long id) =>
        c.Scalar("SELECT parent_id FROM snapshots WHERE id=$id", tx, ("$id", id)) is long p ? p : null;

    public static void SetLabels(SqliteConnection c, SqliteTransaction tx, long id, IReadOnlyDictionary<string, string>? labels)
    {
        foreach (var (name, value) in labels ?? new Dictionary<string, string>())
        {
            c.Exec("INSERT OR REPLACE INTO labels(snapshot_id,name,value) VALUES($id,$n,$v)", tx, ("$id", id), ("$n", name), ("$v", value));
        }
    }

    public static SnapshotInfo ToInfo(SqliteConnection c, SnapshotRow row)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var cmd = c.Command("SELECT name,value FROM labels WHERE snapshot_id=$id", null, ("$id", row.Id)))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                labels[r.GetString(0)] = r.GetString(1);
            }
        }
        var parent = row.ParentId is { } p ? c.Scalar("SELECT key FROM snapshots WHERE id=$id", null, ("$id", p)) as string : null;
        return new SnapshotInfo(row.Key, parent, row.Kind, labels,
            DateTimeOffset.FromUnixTimeMilliseconds(row.Created), DateTimeOffset.FromUnixTimeMilliseconds(row.Updated));
    }

    private static SnapshotRow Read(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt64(2), (SnapshotKind)r.GetInt32(3), r.GetInt64(4), r.GetInt64(5));
}
