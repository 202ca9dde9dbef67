using System.Text.Json;

namespace Builder.Solver.Definition;

/// <summary>
/// One unit of work in the build definition. An op knows nothing about Dockerfiles: it is a
/// source, a process to run, file actions or a merge. Its inputs are other vertices' outputs,
/// referenced by position in <see cref="Vertex.Inputs"/>.
/// </summary>
public abstract record Op
{
    /// <summary>The op's kind as it appears in the canonical form and in plan output.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// Writes the op's own fields in a fixed order. The canonical form (and therefore the digest)
    /// depends only on what is written here plus the inputs' digests.
    /// </summary>
    internal abstract void WriteCanonical(Utf8JsonWriter writer);
}
