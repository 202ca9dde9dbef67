using System.Text.Json.Serialization;

namespace Builder.Oci.Image;

/// <summary>
/// The OCI image configuration document (application/vnd.oci.image.config.v1+json), with the
/// Docker extensions builders write (Healthcheck, Shell, OnBuild in <see cref="ContainerConfig"/>).
/// </summary>
public sealed record ImageConfig
{
    [JsonPropertyName("created")]
    public DateTimeOffset? Created { get; init; }

    [JsonPropertyName("author")]
    public string? Author { get; init; }

    [JsonPropertyName("architecture")]
    public string Architecture { get; init; } = "amd64";

    [JsonPropertyName("os")]
    public string Os { get; init; } = "linux";

    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    [JsonPropertyName("config")]
    public ContainerConfig Config { get; init; } = new();

    [JsonPropertyName("rootfs")]
    public RootFs RootFs { get; init; } = new();

    [JsonPropertyName("history")]
    public IReadOnlyList<HistoryEntry> History { get; init; } = [];
}

/// <summary>The execution parameters a container started from the image uses.</summary>
public sealed record ContainerConfig
{
    [JsonPropertyName("User")]
    public string? User { get; init; }

    [JsonPropertyName("ExposedPorts")]
    public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }

    [JsonPropertyName("Env")]
    public IReadOnlyList<string>? Env { get; init; }

    [JsonPropertyName("Entrypoint")]
    public IReadOnlyList<string>? Entrypoint { get; init; }

    [JsonPropertyName("Cmd")]
    public IReadOnlyList<string>? Cmd { get; init; }

    [JsonPropertyName("Volumes")]
    public IReadOnlyDictionary<string, EmptyObject>? Volumes { get; init; }

    [JsonPropertyName("WorkingDir")]
    public string? WorkingDir { get; init; }

    [JsonPropertyName("Labels")]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("StopSignal")]
    public string? StopSignal { get; init; }

    [JsonPropertyName("ArgsEscaped")]
    public bool? ArgsEscaped { get; init; }

    /// <summary>Docker extension: the container health check.</summary>
    [JsonPropertyName("Healthcheck")]
    public HealthConfig? Healthcheck { get; init; }

    /// <summary>Docker extension: the shell used for shell-form commands.</summary>
    [JsonPropertyName("Shell")]
    public IReadOnlyList<string>? Shell { get; init; }

    /// <summary>Docker extension: ONBUILD triggers, each an instruction as written.</summary>
    [JsonPropertyName("OnBuild")]
    public IReadOnlyList<string>? OnBuild { get; init; }
}

/// <summary>Docker's health check configuration. Durations are in nanoseconds, as Docker stores them.</summary>
public sealed record HealthConfig
{
    /// <summary><c>["NONE"]</c>, <c>["CMD", args...]</c> or <c>["CMD-SHELL", command]</c>.</summary>
    [JsonPropertyName("Test")]
    public IReadOnlyList<string> Test { get; init; } = [];

    [JsonPropertyName("Interval")]
    public long? Interval { get; init; }

    [JsonPropertyName("Timeout")]
    public long? Timeout { get; init; }

    [JsonPropertyName("StartPeriod")]
    public long? StartPeriod { get; init; }

    [JsonPropertyName("StartInterval")]
    public long? StartInterval { get; init; }

    [JsonPropertyName("Retries")]
    public int? Retries { get; init; }
}

/// <summary>The layers of the image, as uncompressed digests (diff ids).</summary>
public sealed record RootFs
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "layers";

    [JsonPropertyName("diff_ids")]
    public IReadOnlyList<string> DiffIds { get; init; } = [];
}

/// <summary>One step of the image's history; <see cref="EmptyLayer"/> steps added no layer.</summary>
public sealed record HistoryEntry
{
    [JsonPropertyName("created")]
    public DateTimeOffset? Created { get; init; }

    [JsonPropertyName("created_by")]
    public string? CreatedBy { get; init; }

    [JsonPropertyName("author")]
    public string? Author { get; init; }

    [JsonPropertyName("comment")]
    public string? Comment { get; init; }

    [JsonPropertyName("empty_layer")]
    public bool? EmptyLayer { get; init; }
}

/// <summary>The <c>{}</c> value of set-like maps (ExposedPorts, Volumes).</summary>
public sealed record EmptyObject
{
    public static EmptyObject Instance { get; } = new();
}

/// <summary>Source-generated JSON metadata for the image documents (no reflection at run time).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(ImageConfig))]
public sealed partial class ImageJsonContext : JsonSerializerContext;
