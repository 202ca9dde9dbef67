namespace Builder.Snapshotter.Paths;

/// <summary>A path (from a tar, a COPY, a hardlink or symlink) that would lead outside its root. Nothing was written for it.</summary>
public sealed class PathEscapeException(string message) : IOException(message);
