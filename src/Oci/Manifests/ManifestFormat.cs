namespace Builder.Oci.Manifests;

/// <summary>Which family of media types a manifest is written with.</summary>
public enum ManifestFormat
{
    /// <summary>OCI image-spec media types: the default for everything we write.</summary>
    Oci,

    /// <summary>Docker image manifest v2 schema 2 media types, for consumers that predate OCI.</summary>
    Docker,
}
