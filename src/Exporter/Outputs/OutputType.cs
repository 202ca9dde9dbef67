namespace Builder.Exporter.Outputs;

/// <summary>The <c>type=</c> of an <c>--output</c>, as BuildKit names them.</summary>
public enum OutputType
{
    /// <summary>The local image store (<c>name=</c>, optionally <c>push=true</c>).</summary>
    Image,

    /// <summary>An image pushed to its registry (type=image with push=true).</summary>
    Registry,

    /// <summary>A docker-archive file.</summary>
    Docker,

    /// <summary>An OCI layout tarball, or a layout directory with <c>tar=false</c>.</summary>
    Oci,

    /// <summary>The final root filesystem as files in a directory.</summary>
    Local,

    /// <summary>The final root filesystem as one tar.</summary>
    Tar,
}
