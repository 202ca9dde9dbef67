namespace Builder.Oci;

/// <summary>An OCI content descriptor: what a blob is, its digest and its size in bytes.</summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size);
