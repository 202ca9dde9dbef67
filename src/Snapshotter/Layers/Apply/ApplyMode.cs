namespace Builder.Snapshotter.Layers.Apply;

/// <summary>How whiteouts in a tar are written.</summary>
public enum ApplyMode
{
    /// <summary>Into an overlay upperdir: a deletion becomes a 0/0 character device, an opaque dir gets trusted.overlay.opaque=y.</summary>
    OverlayUpper,

    /// <summary>Into a full tree (copying snapshotter): deletions and opaque markers remove what the lower layers had.</summary>
    FullTree,

    /// <summary>ADD's extraction: no whiteout meaning, every name is a plain file.</summary>
    Plain,
}
