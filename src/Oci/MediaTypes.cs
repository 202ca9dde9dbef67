namespace Builder.Oci;

/// <summary>Media types of the OCI image-spec and Docker's image manifest v2 schema 2.</summary>
public static class MediaTypes
{
    public const string OciLayerTar = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>Docker's uncompressed layer (rarely written; Docker itself only reads it).</summary>
    public const string DockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";

    /// <summary>A layer that registries do not store; clients fetch it from the descriptor's urls.</summary>
    public const string DockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";

    /// <summary>The empty JSON blob <c>{}</c> used as the config of artifacts.</summary>
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";

    /// <summary>Docker's obsolete signed schema 1 manifest: recognised only to reject it clearly.</summary>
    public const string DockerManifestSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public const string DockerManifestSchema1 = "application/vnd.docker.distribution.manifest.v1+json";

    /// <summary>True for the two single-image manifest types (OCI and Docker schema 2).</summary>
    public static bool IsImageManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    /// <summary>True for the two multi-platform types (OCI index and Docker manifest list).</summary>
    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    /// <summary>True for any manifest type this library reads.</summary>
    public static bool IsManifestOrIndex(string? mediaType) => IsImageManifest(mediaType) || IsIndex(mediaType);

    /// <summary>True for the layer types whose content is a (possibly compressed) tar we can apply.</summary>
    public static bool IsLayer(string? mediaType) => mediaType is OciLayerTar or OciLayerGzip or OciLayerZstd
        or DockerLayerGzip or DockerLayerTar or DockerForeignLayerGzip
        or "application/vnd.oci.image.layer.nondistributable.v1.tar"
        or "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        or "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
}
