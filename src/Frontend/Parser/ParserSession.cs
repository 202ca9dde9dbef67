using System.Text;

namespace Builder.Frontend.Parser;

/// <summary>
/// One run of the parser over a Dockerfile: reads physical lines, handles directives and comments,
/// joins continuation lines into instructions, reads heredoc bodies and assembles the AST.
/// </summary>
internal sealed class ParserSession
{
    private const string EmptyContinuationRule = "NoEmptyContinuation";

    private readonly LineReader _lines;
    private readonly ParserDirectives _directives = new();
    private readonly List<Node> _children = [];
    private readonly List<DockerfileWarning> _warnings = [];
    private readonly List<string> _comments = [];
    private readonly StringBuilder _joined = new();

    public ParserSession(TextReader reader)
    {
        _lines = new LineReader(reader);
    }

    public DockerfileAst Run()
    {
        while (_lines.TryRead(out var first))
        {
            var content = first.Content.TrimStart();
            var isComment = content.StartsWith('#');
            if (isComment)
            {
                RecordComment(content);
            }
            if (_directives.TryConsume(content, first.Number) && _comments.Count > 0)
            {
                _comments.RemoveAt(_comments.Count - 1); // a directive is not a comment of the next instruction
            }
            if (isComment)
            {
                continue;
            }

            var head = LineContinuation.Trim(content, _directives.EscapeToken, out var continues);
            if (!continues && head.Length == 0)
            {
                continue; // blank line
            }
            var line = JoinContinuation(head, continues, out var sawEmptyContinuation);
            var span = new LineSpan(first.Number, _lines.LineNumber);
            if (string.IsNullOrWhiteSpace(line))
            {
                continue; // only continuation markers: nothing to build an instruction from
            }
            if (sawEmptyContinuation)
            {
                _warnings.Add(new DockerfileWarning(
                    EmptyContinuationRule,
                    "Empty continuation line found in: " + line + " (empty continuation lines will become errors in a future release)",
                    span.Start,
                    span.End));
            }

            var draft = InstructionFactory.Create(line, _directives.EscapeToken, span);
            IReadOnlyList<Heredoc> heredocs = [];
            if (draft.CanContainHeredoc && line.Contains("<<", StringComparison.Ordinal))
            {
                heredocs = ReadHeredocs(HeredocMarkers.Find(line, span), span);
                span = span with { End = _lines.LineNumber };
            }

            _children.Add(ToNode(draft, span, heredocs, [.. _comments]));
            _comments.Clear();
        }

        if (_children.Count == 0)
        {
            throw new DockerfileException("the Dockerfile is empty: file with no instructions");
        }
        return new DockerfileAst
        {
            Children = _children,
            Directives = new Dictionary<string, string>(_directives.Values),
            EscapeToken = _directives.EscapeToken,
            Warnings = _warnings,
            StartLine = _children[0].StartLine,
            EndLine = _children[^1].EndLine,
        };
    }

    /// <summary>
    /// Comment lines accumulate until the next instruction; an empty <c>#</c> line clears them, as
    /// BuildKit does (blank lines do not).
    /// </summary>
    private void RecordComment(string content)
    {
        var text = content[1..].Trim();
        if (text.Length == 0)
        {
            _comments.Clear();
        }
        else
        {
            _comments.Add(text);
        }
    }

    /// <summary>
    /// Appends continuation lines to <paramref name="head"/>. Comment lines inside are skipped;
    /// white-space-only lines are skipped too but reported, since BuildKit deprecates them.
    /// </summary>
    private string JoinContinuation(string head, bool continues, out bool sawEmptyContinuation)
    {
        sawEmptyContinuation = false;
        if (!continues)
        {
            return head;
        }
        _joined.Clear();
        _joined.Append(head);
        while (continues && _lines.TryRead(out var next))
        {
            var content = next.Content;
            var trimmed = content.AsSpan().TrimStart();
            if (trimmed.StartsWith('#'))
            {
                continue;
            }
            if (trimmed.IsEmpty)
            {
                sawEmptyContinuation = true;
                continue;
            }
            _joined.Append(LineContinuation.Trim(content, _directives.EscapeToken, out continues));
        }
        return _joined.ToString();
    }

    /// <summary>Reads the bodies of the heredocs announced on the instruction line, in order.</summary>
    private List<Heredoc> ReadHeredocs(List<HeredocMarker> markers, LineSpan span)
    {
        var heredocs = new List<Heredoc>(markers.Count);
        foreach (var marker in markers)
        {
            var body = new StringBuilder();
            var terminated = false;
            while (_lines.TryRead(out var line))
            {
                var candidate = marker.Chomp ? line.Content.TrimStart('\t') : line.Content;
                if (candidate == marker.Name)
                {
                    terminated = true;
                    break;
                }
                body.Append(marker.Chomp ? line.Raw.TrimStart('\t') : line.Raw);
            }
            if (!terminated)
            {
                throw new DockerfileException(
                    $"unterminated heredoc: no line {GoStringQuoter.Quote(marker.Name)} closes it",
                    span.Start,
                    _lines.LineNumber);
            }
            heredocs.Add(new Heredoc(marker.Name, body.ToString(), marker.Expand, marker.Chomp));
        }
        return heredocs;
    }

    private static Node ToNode(InstructionDraft draft, LineSpan span, IReadOnlyList<Heredoc> heredocs, IReadOnlyList<string> comments)
    {
        var nested = draft.Arguments.Nested is { } trigger ? ToNode(trigger, span, heredocs, []) : null;
        return new Node
        {
            Keyword = draft.Keyword,
            Flags = draft.Flags,
            Arguments = draft.Arguments.Values,
            IsJson = draft.Arguments.IsJson,
            Nested = nested,
            Original = draft.Original,
            Heredocs = heredocs,
            StartLine = span.Start,
            EndLine = span.End,
            PrevComments = comments,
        };
    }
}
