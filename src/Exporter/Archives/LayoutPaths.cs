using Builder.Oci;

namespace Builder.Exporter.Archives;

/// <summary>File names of the OCI image layout (also used by `docker save` since Docker 25).</summary>
internal static class LayoutPaths
{
    public const string OciLayout = "oci-layout";
    public const string Index = "index.json";
    public const string DockerManifest = "manifest.json";

    /// <summary>The <c>oci-layout</c> file's content.</summary>
    public static ReadOnlyMemory<byte> OciLayoutBytes { get; } = """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray();

    public static string Blob(Digest digest) => $"blobs/{digest.Algorithm}/{digest.Hex}";
}
