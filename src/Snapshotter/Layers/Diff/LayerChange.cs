using Builder.Snapshotter.Native;

namespace Builder.Snapshotter.Layers.Diff;

/// <summary>What a layer says about one path.</summary>
internal enum LayerChangeKind
{
    /// <summary>The path exists in the layer with this content and metadata.</summary>
    Add,

    /// <summary>The path was deleted: written as <c>.wh.&lt;name&gt;</c>.</summary>
    Whiteout,

    /// <summary>The directory hides everything below it in lower layers: <c>&lt;dir&gt;/.wh..wh..opq</c>.</summary>
    Opaque,
}

/// <summary>One change in the order it goes into the tar: parents before children, names sorted.</summary>
internal sealed record LayerChange(string Path, LayerChangeKind Kind, string? HostPath, FileStat Stat);
