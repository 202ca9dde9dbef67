using Builder.Oci.Image;

namespace Builder.Frontend.Conversion;

/// <summary>ARGs that exist without a declaration: the platform ARGs and the proxy variables.</summary>
internal static class PredefinedArgs
{
    /// <summary>Proxy variables are passed to RUN when given as build args, and never persisted.</summary>
    public static readonly IReadOnlySet<string> Proxy = new HashSet<string>(StringComparer.Ordinal)
    {
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
        "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
    };

    /// <summary>The platform ARGs for the given build and target platforms.</summary>
    public static IReadOnlyDictionary<string, string> Platform(Platform build, Platform target) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["BUILDPLATFORM"] = build.ToString(),
        ["BUILDOS"] = build.Os,
        ["BUILDARCH"] = build.Architecture,
        ["BUILDVARIANT"] = build.Variant ?? "",
        ["TARGETPLATFORM"] = target.ToString(),
        ["TARGETOS"] = target.Os,
        ["TARGETARCH"] = target.Architecture,
        ["TARGETVARIANT"] = target.Variant ?? "",
    };
}
