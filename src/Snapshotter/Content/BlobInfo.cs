using Builder.Oci;

namespace Builder.Snapshotter.Content;

/// <summary>A blob in the content store: its sha256 digest and size in bytes.</summary>
public sealed record BlobInfo(Digest Digest, long Size);
