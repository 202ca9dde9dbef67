using System.Text.RegularExpressions;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.References;
using Builder.Snapshotter;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Metadata;
using Microsoft.Data.Sqlite;

namespace Builder.Exporter.Store;

/// <summary>
/// The local image store, in the data root's metadata.db: images keyed by manifest digest (config digest as
/// id, top snapshot, size, created) and names (normalized references) pointing at them. Every stored image
/// holds GC references on its manifest, config and layer blobs and its top snapshot (whose parents the GC
/// keeps), and on the snapshot of each lazy layer (a blob not written yet, regenerated from that snapshot when
/// read: see <see cref="Snapshotter.Layers.LayerStore.Describe"/>), so a collection never removes a stored image
/// or what its blobs are made from; removing the image drops them.
/// </summary>
public sealed partial class ImageStore
{
    private readonly DataRoot _root;

    public ImageStore(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
        root.Metadata.Execute("""
            CREATE TABLE IF NOT EXISTS images (
                manifest_digest TEXT PRIMARY KEY,
                media_type TEXT NOT NULL,
                manifest_size INTEGER NOT NULL,
                config_digest TEXT NOT NULL,
                top_snapshot TEXT,
                size INTEGER NOT NULL,
                created INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS images_config ON images(config_digest);
            CREATE TABLE IF NOT EXISTS image_names (
                name TEXT PRIMARY KEY,
                manifest_digest TEXT NOT NULL REFERENCES images(manifest_digest));
            CREATE INDEX IF NOT EXISTS image_names_digest ON image_names(manifest_digest);
            """);
    }

    public DataRoot Root => _root;

    /// <summary>
    /// Stores an image whose manifest, config and layer blobs are in the content store, and points each of
    /// <paramref name="names"/> at it (moving a name from another image, which then keeps its other names or
    /// stays without a name, as Docker's dangling images do).
    /// </summary>
    /// <param name="lazyLayerSnapshots">Snapshots the image's lazy layer blobs are regenerated from (kept as long as the image).</param>
    public StoredImage Record(Descriptor manifest, ImageManifest document, ImageConfig config, string? topSnapshot, IEnumerable<ImageReference> names,
        IReadOnlyCollection<string>? lazyLayerSnapshots = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(names);
        var owner = manifest.Digest.ToString();
        // References first (one transaction): from here on the GC keeps the image even before its row exists.
        var references = new List<(ResourceKind, string)> { (ResourceKind.Blob, owner), (ResourceKind.Blob, document.Config.Digest.ToString()) };
        references.AddRange(document.Layers.Select(l => (ResourceKind.Blob, l.Digest.ToString())));
        if (topSnapshot is not null)
        {
            references.Add((ResourceKind.Snapshot, topSnapshot));
        }
        references.AddRange((lazyLayerSnapshots ?? []).Select(s => (ResourceKind.Snapshot, s)));
        _root.Gc.AddReferences(ReferenceOwner.Image, owner, references);
        var size = document.Config.Size + document.Layers.Sum(l => l.Size);
        var created = (config.Created ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        var nameList = names.Select(n => n.ToString()).Distinct(StringComparer.Ordinal).ToList();
        _root.Metadata.InTransaction((c, tx) =>
        {
            c.Exec("""
                INSERT INTO images(manifest_digest,media_type,manifest_size,config_digest,top_snapshot,size,created)
                VALUES($m,$t,$s,$c,$top,$size,$created)
                ON CONFLICT(manifest_digest) DO UPDATE SET top_snapshot=coalesce(excluded.top_snapshot, top_snapshot)
                """, tx,
                ("$m", owner), ("$t", manifest.MediaType), ("$s", manifest.Size), ("$c", document.Config.Digest.ToString()),
                ("$top", topSnapshot), ("$size", size), ("$created", created));
            foreach (var name in nameList)
            {
                c.Exec("INSERT OR REPLACE INTO image_names(name,manifest_digest) VALUES($n,$m)", tx, ("$n", name), ("$m", owner));
            }
            return 0;
        });
        return Get(manifest.Digest) ?? throw new InvalidOperationException($"image {owner} vanished while it was stored");
    }

    /// <summary>Every image, newest first.</summary>
    public IReadOnlyList<StoredImage> List() => _root.Metadata.Run(c =>
    {
        using var cmd = c.Command($"{SelectImages} ORDER BY i.created DESC, i.manifest_digest", null);
        return ReadImages(cmd);
    });

    /// <summary>The image with this manifest digest, or null.</summary>
    public StoredImage? Get(Digest manifestDigest)
    {
        ArgumentNullException.ThrowIfNull(manifestDigest);
        return _root.Metadata.Run(c =>
        {
            using var cmd = c.Command($"{SelectImages} WHERE i.manifest_digest=$m", null, ("$m", manifestDigest.ToString()));
            return ReadImages(cmd).SingleOrDefault();
        });
    }

    /// <summary>The image a normalized name points at, or null.</summary>
    public StoredImage? FindByName(ImageReference name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var digest = _root.Metadata.Run(c =>
        {
            using var cmd = c.Command("SELECT manifest_digest FROM image_names WHERE name=$n", null, ("$n", name.ToString()));
            return cmd.ExecuteScalar() as string;
        });
        if (digest is not null)
        {
            return Get(Digest.Parse(digest));
        }
        // name@sha256:… names the manifest itself, stored or not under that name.
        return name.Digest is { } d && Get(Digest.Parse(d)) is { } byDigest ? byDigest : null;
    }

    /// <summary>
    /// Finds what a user typed, as Docker does: a name (<c>busybox</c> = docker.io/library/busybox:latest), an
    /// image id or an unambiguous prefix of one (at least 4 hex digits, <c>sha256:</c> optional), or a manifest
    /// digest. Null when nothing matches; <see cref="ImageStoreConflictException"/> when a prefix is ambiguous.
    /// </summary>
    public StoredImage? Find(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (ImageReference.TryParse(text, out var reference, out _) && FindByName(reference) is { } named)
        {
            return named;
        }
        var match = IdPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }
        var hex = match.Groups["hex"].Value.ToLowerInvariant();
        var candidates = _root.Metadata.Run(c =>
        {
            using var cmd = c.Command($"{SelectImages} WHERE substr(i.config_digest,8,$n)=$p OR i.manifest_digest=$full", null,
                ("$n", hex.Length), ("$p", hex), ("$full", "sha256:" + hex));
            return ReadImages(cmd);
        });
        var byId = candidates.Where(i => i.ConfigDigest.Hex.StartsWith(hex, StringComparison.Ordinal)).ToList();
        if (byId.Select(i => i.ConfigDigest).Distinct().Count() > 1)
        {
            throw new ImageStoreConflictException($"image id prefix '{text}' is ambiguous: it matches {string.Join(", ", byId.Select(i => i.ShortId).Distinct())}");
        }
        return byId.FirstOrDefault() ?? candidates.FirstOrDefault();
    }

    /// <summary>Like <see cref="Find"/>, but a miss throws <see cref="ImageNotFoundException"/>.</summary>
    public StoredImage Require(string text) =>
        Find(text) ?? throw new ImageNotFoundException($"no such image: {text} (not in the local store; see 'builder images')");

    /// <summary>Points <paramref name="name"/> at <paramref name="image"/> (moving it from any other image).</summary>
    public void Tag(StoredImage image, ImageReference name)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(name);
        _root.Metadata.Run(c => c.Exec("INSERT OR REPLACE INTO image_names(name,manifest_digest) VALUES($n,$m)", null,
            ("$n", name.ToString()), ("$m", image.Manifest.Digest.ToString())));
    }

    /// <summary>Removes one name; returns false when no image had it.</summary>
    public bool Untag(ImageReference name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _root.Metadata.Run(c => c.Exec("DELETE FROM image_names WHERE name=$n", null, ("$n", name.ToString()))) > 0;
    }

    /// <summary>
    /// Removes the image, its names and its GC references (the next collection frees what no other image uses).
    /// </summary>
    public void Remove(StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var owner = image.Manifest.Digest.ToString();
        _root.Metadata.InTransaction((c, tx) =>
        {
            c.Exec("DELETE FROM image_names WHERE manifest_digest=$m", tx, ("$m", owner));
            c.Exec("DELETE FROM images WHERE manifest_digest=$m", tx, ("$m", owner));
            return 0;
        });
        _root.Gc.RemoveReferences(ReferenceOwner.Image, owner);
    }

    /// <summary>Adds a GC reference from the image to a blob made for it later (e.g. a compressed layer for a push).</summary>
    public void AddBlobReference(StoredImage image, Digest blob)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(blob);
        _root.Gc.AddReference(ReferenceOwner.Image, image.Manifest.Digest.ToString(), ResourceKind.Blob, blob.ToString());
    }

    /// <summary>Reads the image's manifest from the content store.</summary>
    public ImageManifest ReadManifest(StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ManifestDocument.Parse(ReadBlob(image.Manifest.Digest), image.Manifest.MediaType).Manifest
            ?? throw new InvalidDataException($"blob {image.Manifest.Digest} is not an image manifest");
    }

    /// <summary>Reads the image's config from the content store.</summary>
    public ImageConfig ReadConfig(StoredImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageJson.Parse(ReadBlob(image.ConfigDigest));
    }

    /// <summary>A small blob (manifest or config) read whole.</summary>
    public byte[] ReadBlob(Digest digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var info = _root.Content.Info(digest) ?? throw new InvalidDataException($"blob {digest} is missing from the content store");
        if (info.Size > ManifestDocument.MaxSize)
        {
            throw new InvalidDataException($"blob {digest} is {info.Size} bytes, more than the {ManifestDocument.MaxSize} byte limit for a manifest or config");
        }
        using var stream = _root.Content.OpenRead(digest);
        var bytes = new byte[info.Size];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private const string SelectImages = """
        SELECT i.manifest_digest, i.media_type, i.manifest_size, i.config_digest, i.top_snapshot, i.size, i.created,
               (SELECT group_concat(n.name, char(10)) FROM image_names n WHERE n.manifest_digest = i.manifest_digest)
        FROM images i
        """;

    private static List<StoredImage> ReadImages(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        var list = new List<StoredImage>();
        while (r.Read())
        {
            var names = r.IsDBNull(7) ? [] : r.GetString(7).Split('\n').Order(StringComparer.Ordinal).ToArray();
            list.Add(new StoredImage(
                new Descriptor(r.GetString(1), Digest.Parse(r.GetString(0)), r.GetInt64(2)),
                Digest.Parse(r.GetString(3)),
                r.IsDBNull(4) ? null : r.GetString(4),
                r.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
                names));
        }
        return list;
    }

    [GeneratedRegex("^(sha256:)?(?<hex>[0-9a-fA-F]{4,64})$")]
    private static partial Regex IdPattern();
}
