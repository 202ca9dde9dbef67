namespace Builder.Snapshotter.Snapshots;

/// <summary>The lifecycle state of a snapshot, as in containerd.</summary>
public enum SnapshotKind
{
    /// <summary>Writable, made by Prepare; becomes Committed by Commit or disappears by Remove.</summary>
    Active = 1,

    /// <summary>Read-only view of a parent, made by View; can only be removed.</summary>
    View = 2,

    /// <summary>Immutable; may be a parent of others.</summary>
    Committed = 3,
}
