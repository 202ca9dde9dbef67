using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Builder.Corpus.Tests.Cases;
using Builder.Corpus.Tests.Trees;

namespace Builder.Corpus.Tests.Checking;

/// <summary>Checks a built result against a case's expectation; every problem is one precise line.</summary>
public static class ExpectationChecker
{
    public static List<Difference> CheckFiles(IReadOnlyDictionary<string, FileExpectation> files, FsTree tree, string where)
    {
        var problems = new List<Difference>();
        foreach (var (path, want) in files)
        {
            var key = $"{where}:{path}";
            var have = tree.Get(path);
            if (have is null)
            {
                problems.Add(new Difference(key, $"expected {Describe(want)}, actual: missing{NearbyHint(tree, path)}"));
                continue;
            }
            var fields = new List<string>();
            void Field(string name, object? expected, object? actual)
            {
                if (expected is not null && !Equals(expected, actual))
                {
                    fields.Add($"{name} expected {expected}, actual {actual ?? "(none)"}");
                }
            }
            Field("type", want.Type, FsEntry.TypeName(have.Type));
            Field("mode", want.Mode is null ? null : TreeComparer.Octal(Convert.ToInt32(want.Mode, 8)), TreeComparer.Octal(have.Mode));
            Field("uid", want.Uid, have.Uid);
            Field("gid", want.Gid, have.Gid);
            Field("size", want.Size, have.Size);
            Field("target", want.Target, have.LinkTarget);
            Field("device", want.Device, have.Device);
            if (want.Content is not null)
            {
                var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(want.Content)));
                if (sha != have.Sha256)
                {
                    fields.Add($"content expected {Quote(want.Content)} (sha256 {sha[..12]}, {Encoding.UTF8.GetByteCount(want.Content)} bytes), actual sha256 {have.Sha256?[..Math.Min(12, have.Sha256.Length)]}, {have.Size} bytes");
                }
            }
            Field("sha256", want.Sha256, have.Sha256);
            if (want.Hardlink is not null && !tree.Partners(path).Contains(want.Hardlink))
            {
                fields.Add($"hardlink expected to {want.Hardlink}, actual partners [{string.Join(", ", tree.Partners(path))}]");
            }
            if (fields.Count > 0)
            {
                problems.Add(new Difference(key, string.Join("; ", fields)));
            }
        }
        return problems;
    }

    public static List<Difference> CheckAbsent(IEnumerable<string> absent, FsTree tree, string where) =>
        absent.Where(p => tree.Get(p) is not null)
            .Select(p => new Difference($"{where}:{p}", $"expected absent, actual {tree.Get(p)!.Describe()}"))
            .ToList();

    /// <summary>With "exact": nothing but the expected paths and their parent directories.</summary>
    public static List<Difference> CheckExact(IReadOnlyDictionary<string, FileExpectation> files, FsTree tree, string where)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in files.Keys)
        {
            for (var p = path; p.Length > 1; p = p[..Math.Max(1, p.LastIndexOf('/'))])
            {
                allowed.Add(p);
            }
        }
        return tree.Entries.Keys.Where(p => !allowed.Contains(p))
            .Select(p => new Difference($"{where}:{p}", $"unexpected path (the case is exact): {tree.Get(p)!.Describe()}"))
            .ToList();
    }

    public static List<Difference> CheckImage(CaseExpectation e, JsonObject config, int layerCount)
    {
        var problems = new List<Difference>();
        if (e.Config is { } wanted)
        {
            problems.AddRange(ConfigComparer.CheckExpected(wanted, config["config"] as JsonObject, "config"));
        }
        if (e.Image is { } top)
        {
            problems.AddRange(ConfigComparer.CheckExpected(top, config, "image"));
        }
        if (e.LayerCount is { } count && count != layerCount)
        {
            problems.Add(new Difference("layers", $"expected {count} layers, actual {layerCount}"));
        }
        if (e.History is { } history)
        {
            var actual = (config["history"] as JsonArray ?? []).ToList();
            if (actual.Count < history.Count)
            {
                problems.Add(new Difference("history", $"expected at least {history.Count} entries, actual {actual.Count}: {Show(actual)}"));
            }
            else
            {
                var tail = actual.Skip(actual.Count - history.Count).ToList();
                for (var i = 0; i < history.Count; i++)
                {
                    var createdBy = tail[i]?["created_by"]?.GetValue<string>() ?? "";
                    var empty = tail[i]?["empty_layer"]?.GetValue<bool>() ?? false;
                    if (history[i].CreatedBy is { } fragment && !createdBy.Contains(fragment, StringComparison.Ordinal))
                    {
                        problems.Add(new Difference($"history[{actual.Count - history.Count + i}]", $"created_by expected to contain {Quote(fragment)}, actual {Quote(createdBy)}"));
                    }
                    if (history[i].EmptyLayer is { } wantEmpty && wantEmpty != empty)
                    {
                        problems.Add(new Difference($"history[{actual.Count - history.Count + i}]", $"empty_layer expected {wantEmpty}, actual {empty} ({Quote(createdBy)})"));
                    }
                }
            }
            var nonEmpty = actual.Count(h => !(h?["empty_layer"]?.GetValue<bool>() ?? false));
            if (nonEmpty != layerCount)
            {
                problems.Add(new Difference("history", $"{nonEmpty} non-empty history entries but {layerCount} layers"));
            }
        }
        return problems;
    }

    /// <summary>Checks a failed build's output: it names the line and holds every fragment.</summary>
    public static List<Difference> CheckError(ErrorExpectation e, string output, string dockerfileName)
    {
        var problems = new List<Difference>();
        if (e.Line > 0)
        {
            var named = Regex.IsMatch(output, $@"(line {e.Line}\b|{Regex.Escape(dockerfileName)}:{e.Line}\b)", RegexOptions.IgnoreCase);
            if (!named)
            {
                problems.Add(new Difference("error.line", $"expected the message to name line {e.Line} ('line {e.Line}' or '{dockerfileName}:{e.Line}')"));
            }
        }
        foreach (var fragment in e.Message)
        {
            if (!output.Contains(fragment, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new Difference("error.message", $"expected the message to contain {Quote(fragment)}"));
            }
        }
        return problems;
    }

    private static string Describe(FileExpectation f)
    {
        var parts = new List<string>();
        if (f.Type is not null) parts.Add(f.Type);
        if (f.Mode is not null) parts.Add(f.Mode);
        if (f.Uid is not null || f.Gid is not null) parts.Add($"{f.Uid}:{f.Gid}");
        if (f.Content is not null) parts.Add(Quote(f.Content));
        if (f.Target is not null) parts.Add("-> " + f.Target);
        return parts.Count == 0 ? "present" : string.Join(' ', parts);
    }

    private static string NearbyHint(FsTree tree, string path)
    {
        var dir = path[..Math.Max(1, path.LastIndexOf('/'))];
        var siblings = tree.Entries.Keys.Where(k => k.StartsWith(dir == "/" ? "/" : dir + "/", StringComparison.Ordinal)
            && k.LastIndexOf('/') == (dir == "/" ? 0 : dir.Length)).Take(8).ToList();
        return siblings.Count == 0 ? $" (nothing in {dir})" : $" ({dir} holds: {string.Join(", ", siblings)})";
    }

    private static string Show(IEnumerable<JsonNode?> nodes) => string.Join(", ", nodes.Select(n => n?["created_by"]?.ToJsonString() ?? "?"));

    public static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
