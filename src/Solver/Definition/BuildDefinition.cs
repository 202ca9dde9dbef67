namespace Builder.Solver.Definition;

/// <summary>
/// The frontend's output for one target: the vertex whose result is the image's filesystem.
/// Every vertex reachable from <see cref="Root"/> is part of the build; nothing else is.
/// </summary>
public sealed class BuildDefinition
{
    public BuildDefinition(Vertex root)
    {
        ArgumentNullException.ThrowIfNull(root);
        Root = root;
    }

    public Vertex Root { get; }

    /// <summary>
    /// All distinct vertices (by digest) reachable from the root, inputs before the vertices that
    /// read them, in a stable order.
    /// </summary>
    public IReadOnlyList<Vertex> TopologicalOrder()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<Vertex>();
        // Iterative post-order so deep chains (thousands of steps) cannot overflow the stack.
        var stack = new Stack<(Vertex Vertex, int Next)>();
        stack.Push((Root, 0));
        seen.Add(Root.Digest);
        while (stack.Count > 0)
        {
            var (vertex, next) = stack.Pop();
            if (next < vertex.Inputs.Count)
            {
                stack.Push((vertex, next + 1));
                var input = vertex.Inputs[next].Vertex;
                if (seen.Add(input.Digest))
                {
                    stack.Push((input, 0));
                }
                continue;
            }
            order.Add(vertex);
        }
        return order;
    }
}
