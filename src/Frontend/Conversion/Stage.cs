using Builder.Frontend.Instructions;
using Builder.Oci.Image;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>
/// One build stage while it is being converted: its instructions and the state they build up
/// (filesystem vertex, image config, ARGs in scope).
/// </summary>
internal sealed class Stage
{
    public Stage(int index, FromInstruction from)
    {
        Index = index;
        From = from;
    }

    public int Index { get; }

    public FromInstruction From { get; }

    public string? Name => From.StageName;

    public string DisplayName => Name ?? $"stage-{Index}";

    public List<Instruction> Instructions { get; } = [];

    /// <summary>The expanded base name (image reference, stage name or scratch).</summary>
    public string BaseName { get; set; } = "";

    public Platform Platform { get; set; } = Platform.Host;

    /// <summary>The stage this stage is based on, when FROM names a stage.</summary>
    public Stage? BaseStage { get; set; }

    public bool BaseResolved { get; set; }

    public DispatchStatus Status { get; set; }

    /// <summary>The filesystem so far; null is an empty (scratch) filesystem.</summary>
    public Vertex? Vertex { get; set; }

    public ImageConfig Image { get; set; } = new();

    /// <summary>ARGs declared in this stage so far, in declaration order, with their values.</summary>
    public List<KeyValuePair<string, string?>> Args { get; } = [];

    /// <summary>Whether CMD was set in this stage (ENTRYPOINT then keeps it).</summary>
    public bool CmdSet { get; set; }

    /// <summary>1-based number of the step being converted, for progress names.</summary>
    public int Step { get; set; }

    public int StepCount => Instructions.Count + 1;
}

internal enum DispatchStatus
{
    Pending,
    InProgress,
    Done,
}
