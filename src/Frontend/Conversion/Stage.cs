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

    /// <summary>
    /// The image config so far, except Env and History, which live in <see cref="Env"/> and
    /// <see cref="History"/> while the stage converts: copying them on every instruction would
    /// make long stages quadratic. <see cref="Snapshot"/> puts them together.
    /// </summary>
    public ImageConfig Image { get; set; } = new();

    /// <summary>The environment (ENV) so far, in order.</summary>
    public OrderedDictionary<string, string> Env { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>The history so far.</summary>
    public List<HistoryEntry> History { get; private set; } = [];

    /// <summary>ARGs declared in this stage so far, in declaration order, with their values (null: no value).</summary>
    public OrderedDictionary<string, string?> Args { get; } = new(StringComparer.Ordinal);

    /// <summary>ARG names in the order first declared: BuildKit's order for RUN's history text.</summary>
    public List<string> ArgNames { get; } = [];

    /// <summary>Starts the stage from a base image's config.</summary>
    public void Load(ImageConfig image)
    {
        Image = image;
        Env = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in image.Config.Env ?? [])
        {
            var eq = entry.IndexOf('=');
            Env[eq < 0 ? entry : entry[..eq]] = eq < 0 ? "" : entry[(eq + 1)..];
        }
        History = [.. image.History];
    }

    /// <summary>The complete image config as it stands.</summary>
    public ImageConfig Snapshot() => Image with
    {
        Config = Image.Config with { Env = Env.Select(e => $"{e.Key}={e.Value}").ToArray() },
        History = History.ToArray(),
    };

    /// <summary>Whether CMD was set in this stage (ENTRYPOINT then keeps it).</summary>
    public bool CmdSet { get; set; }

    /// <summary>Whether the instructions being converted are the base image's ONBUILD triggers.</summary>
    public bool InTrigger { get; set; }

    /// <summary>How many numbered steps the stage has named so far (see <see cref="StepTotal"/>).</summary>
    public int StepIndex { get; set; }

    /// <summary>
    /// The "total" of BuildKit's <c>[stage n/total]</c>: 1 for a FROM of an image (not scratch,
    /// not another stage), one per RUN, COPY, ADD and WORKDIR of the stage, and one per ONBUILD
    /// trigger of its base, whatever the trigger's instruction (counted after the FROM is named,
    /// as BuildKit does). Only FROM of an image, RUN, COPY, ADD and WORKDIR other than "/" take a
    /// number, so a stage with <c>WORKDIR /</c> ends below its total, as in BuildKit.
    /// </summary>
    public int StepTotal { get; set; }
}

internal enum DispatchStatus
{
    Pending,
    InProgress,
    Done,
}
