using Builder.Oci;
using Builder.Oci.References;

namespace Builder.Exporter.Archives;

/// <summary>One image to put in an archive: its manifest (in the content store) and the names it is saved under.</summary>
public sealed record ArchiveImage(Descriptor Manifest, IReadOnlyList<ImageReference> Names)
{
    public static ArchiveImage From(AssembledImage image, params ImageReference[] names)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new ArchiveImage(image.Manifest, names);
    }
}
