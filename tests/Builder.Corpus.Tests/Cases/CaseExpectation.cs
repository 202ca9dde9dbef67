using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Builder.Corpus.Tests.Cases;

/// <summary>
/// The contents of a case's <c>expect.json</c>; the format is documented in
/// tests/dockerfiles/README.md. Unknown keys are an error, so a typo never weakens a case.
/// </summary>
public sealed class CaseExpectation
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public string? Description { get; init; }

    /// <summary>Dockerfile name inside the case folder (default "Dockerfile").</summary>
    public string? Dockerfile { get; init; }

    public Dictionary<string, string> BuildArgs { get; init; } = [];

    public string? Target { get; init; }

    /// <summary>Secrets passed as files: id to value.</summary>
    public Dictionary<string, string> Secrets { get; init; } = [];

    /// <summary>Secrets passed from environment variables: id to value.</summary>
    public Dictionary<string, string> SecretsFromEnv { get; init; } = [];

    /// <summary>Named contexts: name to a folder inside the case folder.</summary>
    public Dictionary<string, string> BuildContexts { get; init; } = [];

    /// <summary>Modes to set on context paths after copying (git keeps only 0644/0755).</summary>
    public Dictionary<string, string> ContextModes { get; init; } = [];

    /// <summary>Empty directories to create in the context (git cannot hold them).</summary>
    public List<string> ContextDirs { get; init; } = [];

    public Dictionary<string, FileExpectation> Files { get; init; } = [];

    public List<string> Absent { get; init; } = [];

    /// <summary>When true the result holds exactly the expected files and their parents.</summary>
    public bool Exact { get; init; }

    /// <summary>Image config fields (the "config" object of the OCI config document).</summary>
    public JsonObject? Config { get; init; }

    /// <summary>Top-level fields of the OCI config document (author, os, architecture).</summary>
    public JsonObject? Image { get; init; }

    /// <summary>The last entries of the image history, oldest first.</summary>
    public List<HistoryExpectation>? History { get; init; }

    /// <summary>Number of layers of the result, when it matters.</summary>
    public int? LayerCount { get; init; }

    /// <summary>Compare the layers applied in order with the local output (always done; this only documents intent).</summary>
    public bool LayerSensitive { get; init; }

    public ErrorExpectation? Error { get; init; }

    public CacheExpectation? Cache { get; init; }

    public static CaseExpectation Load(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<CaseExpectation>(File.ReadAllText(file), Options)
                ?? throw new InvalidDataException($"{file}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
    }
}

/// <summary>What one path must be; every field is optional.</summary>
public sealed class FileExpectation
{
    /// <summary>file, dir, symlink, fifo, char, block.</summary>
    public string? Type { get; init; }

    /// <summary>Octal permission bits, e.g. "0644" or "4755".</summary>
    public string? Mode { get; init; }

    public long? Uid { get; init; }

    public long? Gid { get; init; }

    /// <summary>Exact UTF-8 content of a regular file.</summary>
    public string? Content { get; init; }

    public string? Sha256 { get; init; }

    public long? Size { get; init; }

    /// <summary>Symlink target.</summary>
    public string? Target { get; init; }

    /// <summary>A path that must be the same inode (a hardlink partner).</summary>
    public string? Hardlink { get; init; }

    /// <summary>"major,minor" of a device node.</summary>
    public string? Device { get; init; }
}

public sealed class HistoryExpectation
{
    /// <summary>A fragment of created_by.</summary>
    public string? CreatedBy { get; init; }

    public bool? EmptyLayer { get; init; }
}

public sealed class ErrorExpectation
{
    /// <summary>The Dockerfile line the error must name ("line N" or ":N" in the message), 0 for none.</summary>
    public int Line { get; init; }

    /// <summary>Fragments that must all appear in the error output (case-insensitive).</summary>
    public List<string> Message { get; init; } = [];
}

public sealed class CacheExpectation
{
    /// <summary>A second identical build reports every step CACHED.</summary>
    public bool SecondBuildCached { get; init; }

    /// <summary>Edits to the context, each followed by a build; only the listed steps may run.</summary>
    public List<CacheEdit> Edits { get; init; } = [];
}

public sealed class CacheEdit
{
    /// <summary>Context-relative file to rewrite.</summary>
    public string? File { get; init; }

    public string? Content { get; init; }

    /// <summary>Build args for this rebuild (replacing the case's values of the same names).</summary>
    public Dictionary<string, string> BuildArgs { get; init; } = [];

    /// <summary>Fragments of step names that must run (Done); every other step must be CACHED.</summary>
    public List<string> Ran { get; init; } = [];

    /// <summary>Files of the result after this rebuild.</summary>
    public Dictionary<string, FileExpectation> Files { get; init; } = [];
}
