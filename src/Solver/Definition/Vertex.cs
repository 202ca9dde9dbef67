using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Builder.Solver.Definition;

/// <summary>An input of a vertex: another vertex's output (0 is the primary output).</summary>
public sealed record VertexInput(Vertex Vertex, int Output = 0);

/// <summary>
/// Describes a vertex for people (progress, errors, plan output). Never part of the digest.
/// </summary>
/// <param name="Name">e.g. <c>[build 2/4] RUN make</c>.</param>
/// <param name="Stage">The stage name or index the vertex belongs to, if any.</param>
/// <param name="StartLine">1-based first Dockerfile line, or 0.</param>
/// <param name="EndLine">1-based last Dockerfile line, or 0.</param>
public sealed record VertexDescription(string Name, string? Stage = null, int StartLine = 0, int EndLine = 0)
{
    /// <summary>Run even when a cache record exists (--no-cache, --no-cache-filter).</summary>
    public bool IgnoreCache { get; init; }
}

/// <summary>
/// A node of the build DAG: an op and the outputs it reads. Immutable; its <see cref="Digest"/>
/// is the sha256 of the canonical form of the op plus the digests of its inputs, so identical
/// work on identical inputs has the same digest wherever it appears.
/// </summary>
public sealed class Vertex
{
    private string? _digest;

    public Vertex(Op op, IReadOnlyList<VertexInput> inputs, VertexDescription? description = null)
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputs);
        Op = op;
        Inputs = inputs;
        Description = description ?? new VertexDescription(op.Kind);
    }

    public Vertex(Op op, params VertexInput[] inputs)
        : this(op, (IReadOnlyList<VertexInput>)inputs)
    {
    }

    public Op Op { get; }

    public IReadOnlyList<VertexInput> Inputs { get; }

    public VertexDescription Description { get; }

    /// <summary><c>sha256:&lt;hex&gt;</c> of the canonical form.</summary>
    public string Digest => Volatile.Read(ref _digest) ?? ComputeDigests();

    /// <summary>Returns a vertex with the same op and inputs and another description (same digest).</summary>
    public Vertex WithDescription(VertexDescription description) => new(Op, Inputs, description) { _digest = _digest };

    /// <summary>The canonical bytes the digest is taken over: JSON with a fixed field order.</summary>
    public byte[] CanonicalForm()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", Op.Kind);
            Op.WriteCanonical(writer);
            writer.WriteStartArray("inputs");
            foreach (var input in Inputs)
            {
                writer.WriteStartObject();
                writer.WriteString("digest", input.Vertex.Digest);
                writer.WriteNumber("output", input.Output);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Computes this digest and any missing input digests, inputs first, without recursion: a
    /// chain of thousands of steps must not overflow the stack. Racing threads compute the same
    /// value, so a plain publish is enough.
    /// </summary>
    private string ComputeDigests()
    {
        var pending = new Stack<Vertex>();
        pending.Push(this);
        while (pending.Count > 0)
        {
            var vertex = pending.Peek();
            var ready = true;
            foreach (var input in vertex.Inputs)
            {
                if (Volatile.Read(ref input.Vertex._digest) is null)
                {
                    pending.Push(input.Vertex);
                    ready = false;
                }
            }
            if (ready)
            {
                pending.Pop();
                if (Volatile.Read(ref vertex._digest) is null)
                {
                    Volatile.Write(ref vertex._digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(vertex.CanonicalForm())));
                }
            }
        }
        return _digest!;
    }

    public override string ToString() => $"{Op.Kind} {Digest}";
}
