using Builder.Frontend;
using Builder.Frontend.Instructions;
using Builder.Frontend.Parser;

namespace Builder.Server.Context;

/// <summary>
/// The order in which a build is likely to read its context, read off the Dockerfile without expanding
/// anything: the sources of COPY/ADD without --from and of RUN bind mounts without from=, in file order,
/// each cut at its first variable or wildcard. Only a hint for which files to ask for first; the steps
/// themselves wait for exactly what they read (<see cref="ContextArrival"/>).
/// </summary>
internal static class ContextOrder
{
    /// <summary>Context path prefixes ("" for all of it), first read first, without repeats.</summary>
    public static IReadOnlyList<string> FirstReads(DockerfileAst dockerfile)
    {
        ArgumentNullException.ThrowIfNull(dockerfile);
        var prefixes = new List<string>();
        foreach (var node in dockerfile.Children)
        {
            Instruction instruction;
            try
            {
                instruction = InstructionParser.Parse(node);
            }
            catch (DockerfileException)
            {
                continue; // the build reports it
            }
            switch (instruction)
            {
                case CopyInstruction { From: null } copy when copy.Heredocs.Count == 0:
                    prefixes.AddRange(copy.Sources.Where(s => !s.Contains("://", StringComparison.Ordinal) && !s.StartsWith("git@", StringComparison.Ordinal)).Select(Prefix));
                    break;
                case RunInstruction run:
                    prefixes.AddRange(run.Mounts.Select(ContextBindSource).OfType<string>().Select(Prefix));
                    break;
            }
        }
        return prefixes.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Sorts file paths by the first prefix that covers them, then as given.</summary>
    public static List<T> Sort<T>(IEnumerable<T> files, Func<T, string> pathOf, IReadOnlyList<string> prefixes) =>
        files.Select((file, position) => (file, position, rank: Rank(pathOf(file), prefixes)))
            .OrderBy(f => f.rank).ThenBy(f => f.position).Select(f => f.file).ToList();

    private static int Rank(string path, IReadOnlyList<string> prefixes)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            if (prefixes[i].Length == 0 || ContextArrival.Under(path, prefixes[i]))
            {
                return i;
            }
        }
        return prefixes.Count;
    }

    /// <summary>The source of a <c>type=bind</c> mount of the context (no from=), else null.</summary>
    private static string? ContextBindSource(string mount)
    {
        var type = "bind";
        var source = "";
        foreach (var field in mount.Split(','))
        {
            var equals = field.IndexOf('=', StringComparison.Ordinal);
            var key = (equals < 0 ? field : field[..equals]).Trim().ToLowerInvariant();
            var value = equals < 0 ? "" : field[(equals + 1)..].Trim();
            switch (key)
            {
                case "type":
                    type = value;
                    break;
                case "from":
                    return null;
                case "source" or "src":
                    source = value;
                    break;
            }
        }
        return type == "bind" ? source : null;
    }

    private static string Prefix(string source)
    {
        var parts = new List<string>();
        foreach (var part in source.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }
            if (part == ".." || part.AsSpan().IndexOfAny("*?[\\$") >= 0)
            {
                break;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }
}
