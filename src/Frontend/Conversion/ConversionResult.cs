using Builder.Oci.Image;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>One stage as converted: its filesystem vertex (null for an empty scratch stage) and image config.</summary>
public sealed record StageResult(
    int Index,
    string? Name,
    string BaseName,
    Platform Platform,
    Vertex? Vertex,
    ImageConfig Image,
    bool BaseResolved)
{
    /// <summary>The name used in progress output: the stage name or <c>stage-N</c>.</summary>
    public string DisplayName => Name ?? $"stage-{Index}";
}

/// <summary>The frontend's output for one target.</summary>
public sealed record ConversionResult(
    BuildDefinition? Definition,
    ImageConfig Image,
    StageResult Target,
    IReadOnlyList<StageResult> Stages,
    IReadOnlyList<DockerfileWarning> Warnings);
