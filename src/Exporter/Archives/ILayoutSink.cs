using Builder.Oci;

namespace Builder.Exporter.Archives;

/// <summary>Where the files of an image layout go: entries of a tar, or files of a directory.</summary>
internal interface ILayoutSink
{
    Task WriteFileAsync(string name, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>Copies blob <paramref name="digest"/> from the content store to <c>blobs/sha256/&lt;hex&gt;</c>, streaming.</summary>
    Task WriteBlobAsync(Digest digest, CancellationToken cancellationToken);
}
