using System.Text;
using Builder.Oci;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Snapshotter;
using Builder.Snapshotter.Gc;
using Builder.Snapshotter.Snapshots;

namespace Builder.Exporter.Loading;

/// <summary>
/// Applies an image's layer blobs (already in the content store) as committed snapshots named by chain id,
/// <c>layers/&lt;chainid&gt;</c>: a snapshot that exists is shared, not applied again, so every image with the
/// same first n layers shares those n snapshots. Used by <c>builder load</c> and by pulls.
/// </summary>
public sealed class LayerUnpacker
{
    /// <summary>Prefix of the committed snapshot that holds layers 1..n of an image: the chain id follows.</summary>
    public const string SnapshotPrefix = "layers/";

    private readonly DataRoot _root;

    public LayerUnpacker(DataRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        _root = root;
    }

    /// <summary>The snapshot names of an image's layers, bottom to top, from the config's diff ids.</summary>
    public static IReadOnlyList<string> SnapshotNames(ImageConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var names = new List<string>(config.RootFs.DiffIds.Count);
        string? chain = null;
        foreach (var diffId in config.RootFs.DiffIds)
        {
            chain = chain is null ? Digest.Parse(diffId).ToString() : Digest.Sha256Of(Encoding.ASCII.GetBytes(chain + " " + Digest.Parse(diffId))).ToString();
            names.Add(SnapshotPrefix + chain);
        }
        return names;
    }

    /// <summary>True when every layer snapshot of the image is committed (nothing to apply).</summary>
    public bool IsUnpacked(ImageConfig config) => SnapshotNames(config).All(Exists);

    /// <summary>
    /// Applies the layers that are not yet snapshots and returns the top snapshot (null for an image without
    /// layers). Each applied layer's diff id is checked against the config; a mismatch removes the snapshot and throws.
    /// </summary>
    public string? Unpack(ImageManifest manifest, ImageConfig config, Lease? lease = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(config);
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
        {
            throw new InvalidDataException($"the config lists {config.RootFs.DiffIds.Count} diff ids but the manifest has {manifest.Layers.Count} layers");
        }
        var names = SnapshotNames(config);
        string? parent = null;
        for (var i = 0; i < names.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = names[i];
            lease?.Add(ResourceKind.Snapshot, name); // before it exists, so GC never sees it unclaimed
            if (!Exists(name))
            {
                Apply(manifest.Layers[i], parent, name, Digest.Parse(config.RootFs.DiffIds[i]));
            }
            parent = name;
        }
        return parent;
    }

    private void Apply(Descriptor layer, string? parent, string name, Digest expectedDiffId)
    {
        Digest diffId;
        using (var blob = _root.Content.OpenRead(layer.Digest))
        {
            diffId = _root.Layers.Apply(blob, parent, name, layer);
        }
        if (diffId != expectedDiffId)
        {
            // The name promises content it does not have: remove it before anything builds on it.
            _root.Snapshots.Remove(name);
            throw new InvalidDataException($"layer {layer.Digest} has diff id {diffId} but the config says {expectedDiffId}");
        }
    }

    private bool Exists(string snapshot)
    {
        try
        {
            return _root.Snapshots.Stat(snapshot).Kind == SnapshotKind.Committed;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }
}
