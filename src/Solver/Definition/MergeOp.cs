using System.Text.Json;

namespace Builder.Solver.Definition;

/// <summary>
/// Stacks its inputs' layers in order without rebasing them (<c>COPY --link</c>): the result is
/// input 0 with each later input's files applied on top.
/// </summary>
public sealed record MergeOp : Op
{
    public override string Kind => "merge";

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
    }
}
