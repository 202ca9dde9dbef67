using Builder.Frontend.Instructions;
using Builder.Frontend.Parser;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>COPY and ADD: file actions from the context, a stage, an image, a URL, git or a heredoc.</summary>
internal sealed partial class Conversion
{
    private async Task DispatchCopyAsync(Stage stage, CopyInstruction instruction)
    {
        var keyword = instruction.Keyword;
        var node = instruction.Node;
        var dest = ExpandWord(stage, instruction.Destination, instruction);
        if (dest.Length == 0)
        {
            throw Error(node, $"{keyword}: the destination expands to an empty string");
        }
        var sources = instruction.Sources.Select(s => (Raw: s, Heredoc: HeredocFor(s, instruction.Heredocs))).ToList();
        var destination = ContainerPath.Destination(stage.Image.Config.WorkingDir ?? "/", dest);
        if (sources.Count > 1 && !destination.EndsWith('/'))
        {
            throw Error(node, $"When using {keyword} with more than one source file, the destination must be a directory and end with a /");
        }

        var chown = instruction.Chown is null ? null : ExpandWord(stage, instruction.Chown, instruction);
        var owner = string.IsNullOrEmpty(chown) ? null : OwnershipOf(chown);
        var chmod = instruction.Chmod is null ? null : ExpandWord(stage, instruction.Chmod, instruction);
        if (chmod is not null && !ChmodSpec.IsValid(chmod))
        {
            throw Error(node, $"{keyword} --chmod={chmod}: invalid mode (use octal such as 0755 or symbolic such as u+x,go-w)");
        }
        var excludes = instruction.Excludes.Select(e => ExpandWord(stage, e, instruction)).ToList();
        if (instruction.Checksum is not null && instruction.Sources.Any(s => !IsUrl(s)))
        {
            throw Error(node, "ADD --checksum can only be used with HTTP(S) sources");
        }

        var inputs = new List<VertexInput>();
        var baseVertex = instruction.Link ? null : stage.Vertex;
        if (baseVertex is not null)
        {
            inputs.Add(new VertexInput(baseVertex));
        }
        int AddInput(Vertex vertex)
        {
            var existing = inputs.FindIndex(i => i.Vertex.Digest == vertex.Digest);
            if (existing >= 0)
            {
                return existing;
            }
            inputs.Add(new VertexInput(vertex));
            return inputs.Count - 1;
        }

        Vertex? fromVertex = instruction.From is null ? null : await ResolveFromAsync(stage, instruction.From, instruction).ConfigureAwait(false);
        var actions = new List<FileAction>();
        var shownSources = new List<string>();
        var shownHeredocs = new List<string>();
        foreach (var (raw, heredoc) in sources)
        {
            if (heredoc is not null)
            {
                var path = destination.EndsWith('/') ? destination + heredoc.Name : destination;
                actions.Add(new MkfileAction(path, HeredocContent(stage, heredoc, instruction)) { Owner = owner, Chmod = chmod });
                shownHeredocs.Add("<<" + heredoc.Name);
                continue;
            }
            var source = ExpandWord(stage, raw, instruction);
            if (source.Length == 0)
            {
                throw Error(node, $"{keyword}: source \"{raw}\" expands to an empty string");
            }
            shownSources.Add(source);
            if (IsUrl(source) || IsGitUrl(source))
            {
                if (!instruction.IsAdd)
                {
                    throw Error(node, $"COPY: source \"{source}\" is a URL; COPY takes files from the build context or a stage (use ADD for URLs)");
                }
                if (fromVertex is not null)
                {
                    throw Error(node, "ADD: a URL source cannot be combined with --from");
                }
                actions.Add(RemoteCopy(source, destination, instruction, owner, chmod, excludes, AddInput));
                continue;
            }
            var input = AddInput(fromVertex ?? Context);
            actions.Add(new CopyAction(input, SourcePath(source), destination)
            {
                Owner = owner,
                Chmod = chmod,
                AttemptUnpack = instruction.IsAdd && fromVertex is null && (instruction.Unpack ?? true),
                Parents = instruction.Parents,
                Excludes = excludes,
                AllowEmptyWildcard = false,
            });
        }

        var description = Describe(stage, node);
        var copy = new Vertex(new FileOp(actions, HasBase: baseVertex is not null), inputs, description);
        if (instruction.Link && stage.Vertex is not null)
        {
            // --link: the copy is its own layer on scratch, stacked on the stage without rebasing.
            stage.Vertex = new Vertex(new MergeOp(), [new VertexInput(stage.Vertex), new VertexInput(copy)], description);
        }
        else
        {
            stage.Vertex = copy;
        }
        AddHistory(stage, CopyHistory(instruction, chown, chmod, shownSources, shownHeredocs, dest), emptyLayer: false);
    }

    /// <summary>
    /// BuildKit's text: the keyword, --parents/--chown/--chmod as given, the sources and then the
    /// heredocs, and the destination as written (expanded, not resolved against WORKDIR).
    /// </summary>
    private static string CopyHistory(CopyInstruction instruction, string? chown, string? chmod, List<string> sources, List<string> heredocs, string dest)
    {
        var text = new System.Text.StringBuilder(instruction.Keyword);
        if (instruction.Parents)
        {
            text.Append(" --parents");
        }
        if (!string.IsNullOrEmpty(chown))
        {
            text.Append(" --chown=").Append(chown);
        }
        if (!string.IsNullOrEmpty(chmod))
        {
            text.Append(" --chmod=").Append(chmod);
        }
        foreach (var word in sources.Concat(heredocs))
        {
            text.Append(' ').Append(word);
        }
        return text.Append(' ').Append(dest).Append(" # buildkit").ToString();
    }

    /// <summary>An unquoted heredoc delimiter means the body is expanded, as the shell would.</summary>
    private string HeredocContent(Stage stage, Heredoc heredoc, Instruction instruction)
    {
        if (!heredoc.Expand)
        {
            return heredoc.Content;
        }
        try
        {
            return _shell.ProcessHeredoc(heredoc.Content, Scope(stage)).Result;
        }
        catch (Shell.ShellExpansionException e)
        {
            throw Error(instruction.Node, $"{instruction.Keyword}: heredoc {heredoc.Name}: {e.Message}");
        }
    }

    private CopyAction RemoteCopy(string source, string destination, CopyInstruction instruction, Ownership? owner, string? chmod, IReadOnlyList<string> excludes, Func<Vertex, int> addInput)
    {
        if (IsGitUrl(source))
        {
            var hash = source.IndexOf('#');
            var url = hash < 0 ? source : source[..hash];
            var attrs = new Dictionary<string, string>();
            if (hash >= 0)
            {
                var fragment = source[(hash + 1)..];
                var colon = fragment.IndexOf(':');
                var gitRef = colon < 0 ? fragment : fragment[..colon];
                if (gitRef.Length > 0)
                {
                    attrs[SourceOp.Attr.GitRef] = gitRef;
                }
                if (colon >= 0 && fragment.Length > colon + 1)
                {
                    attrs[SourceOp.Attr.GitSubdir] = fragment[(colon + 1)..];
                }
            }
            if (instruction.KeepGitDir == true)
            {
                attrs[SourceOp.Attr.KeepGitDir] = "true";
            }
            var git = new Vertex(new SourceOp(SourceKind.Git, url, attrs), [], new VertexDescription("[internal] load git source " + url));
            return new CopyAction(addInput(git), "/", destination) { Owner = owner, Chmod = chmod, Excludes = excludes };
        }

        var fileName = UrlFileName(source);
        var httpAttrs = new Dictionary<string, string> { [SourceOp.Attr.Filename] = fileName };
        if (instruction.Checksum is { } checksum)
        {
            httpAttrs[SourceOp.Attr.Checksum] = checksum;
        }
        var http = new Vertex(new SourceOp(SourceKind.Http, source, httpAttrs), [], new VertexDescription("[internal] download " + source));
        var target = destination.EndsWith('/') ? destination + fileName : destination;
        return new CopyAction(addInput(http), "/" + fileName, target)
        {
            Owner = owner,
            Chmod = chmod,
            AllowWildcard = false,
            CopyDirContents = false,
            AttemptUnpack = instruction.Unpack ?? false,
        };
    }

    private static Heredoc? HeredocFor(string word, IReadOnlyList<Heredoc> heredocs)
    {
        if (heredocs.Count == 0 || !word.StartsWith("<<", StringComparison.Ordinal))
        {
            return null;
        }
        var name = word[2..].TrimStart('-').Trim('"', '\'');
        return heredocs.FirstOrDefault(h => h.Name == name);
    }

    /// <summary>Sources are relative to their root whatever they look like: '/a', './a' and 'a' are the same path.</summary>
    private static string SourcePath(string source)
    {
        var trimmed = source.TrimStart('/');
        while (trimmed.StartsWith("./", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..].TrimStart('/');
        }
        return trimmed.Length == 0 || trimmed == "." ? "/" : "/" + trimmed;
    }

    private static bool IsUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static bool IsGitUrl(string source)
    {
        if (source.StartsWith("git@", StringComparison.Ordinal) || source.StartsWith("git://", StringComparison.Ordinal) || source.StartsWith("ssh://", StringComparison.Ordinal))
        {
            return true;
        }
        if (!IsUrl(source))
        {
            return false;
        }
        var hash = source.IndexOf('#');
        var url = hash < 0 ? source : source[..hash];
        return url.EndsWith(".git", StringComparison.OrdinalIgnoreCase);
    }

    private static string UrlFileName(string url)
    {
        var withoutQuery = url.Split('?', '#')[0];
        var slash = withoutQuery.LastIndexOf('/');
        var name = slash >= 0 ? withoutQuery[(slash + 1)..] : "";
        if (name.Length == 0 || withoutQuery[..slash].EndsWith(':') || withoutQuery.IndexOf('/', withoutQuery.IndexOf("//", StringComparison.Ordinal) + 2) < 0)
        {
            return "__unnamed__";
        }
        return Uri.UnescapeDataString(name);
    }
}
