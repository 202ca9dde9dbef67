using Builder.Snapshotter.Native;
using Builder.Snapshotter.Paths;

namespace Builder.Snapshotter.FileOps;

/// <summary>
/// Finds COPY/ADD sources under a source root: wildcards (<c>*</c>, <c>?</c>, <c>[...]</c>, per path part, as
/// Go's filepath.Match) are expanded, and each source path's own symlinks are followed as BuildKit does,
/// but only inside the root: an absolute or climbing link target is read relative to the root.
/// </summary>
public static class SourcePath
{
    private const int MaxLinks = 255;

    /// <summary>A selected source: its path relative to the root as written (after wildcard expansion) and on the host.</summary>
    public sealed record Match(string RelativePath, string HostPath, string Pattern);

    public static bool HasWildcards(string path) => path.AsSpan().IndexOfAny("*?[") >= 0;

    /// <summary>Expands <paramref name="pattern"/> under <paramref name="root"/>; matches come sorted. No match gives an empty list.</summary>
    public static List<Match> Expand(string root, string pattern, bool followSymlinks = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(pattern);
        var cleaned = ContainedPath.CleanClamped(pattern);
        var candidates = new List<string> { "" };
        if (cleaned.Length > 0)
        {
            foreach (var part in cleaned.Split('/'))
            {
                var next = new List<string>();
                foreach (var dir in candidates)
                {
                    if (!HasWildcards(part))
                    {
                        next.Add(ContainedPath.Join(dir, part));
                        continue;
                    }
                    var host = Resolve(root, dir, followFinal: true);
                    if (host is null || !Directory.Exists(host))
                    {
                        continue;
                    }
                    foreach (var name in Directory.EnumerateFileSystemEntries(host).Select(Path.GetFileName).Order(StringComparer.Ordinal))
                    {
                        if (GlobMatch(part, name!))
                        {
                            next.Add(ContainedPath.Join(dir, name!));
                        }
                    }
                }
                candidates = next;
            }
        }
        var matches = new List<Match>();
        foreach (var rel in candidates)
        {
            var host = Resolve(root, rel, followSymlinks);
            if (host is not null && Syscalls.Statx(Syscalls.AtFdCwd, host, Syscalls.AtSymlinkNoFollow, out _) == 0)
            {
                matches.Add(new Match(rel, host, pattern));
            }
        }
        return matches;
    }

    /// <summary>
    /// The host path of <paramref name="relative"/> under <paramref name="root"/> with every symlink on the way
    /// (and the final one when <paramref name="followFinal"/>) resolved inside the root; null when a part is missing.
    /// </summary>
    public static string? Resolve(string root, string relative, bool followFinal)
    {
        var pending = new Stack<string>(ContainedPath.CleanClamped(relative).Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }
                continue;
            }
            var host = Path.Combine(root, string.Join('/', resolved), part);
            if (Syscalls.Statx(Syscalls.AtFdCwd, host, Syscalls.AtSymlinkNoFollow, out var st) != 0)
            {
                return null;
            }
            if (st.IsSymlink && (pending.Count > 0 || followFinal))
            {
                if (++links > MaxLinks)
                {
                    throw new PathEscapeException($"{relative}: too many levels of symbolic links");
                }
                var target = Syscalls.Readlinkat(Syscalls.AtFdCwd, host) ?? throw Errno.Exception(Errno.Last, "readlink", host);
                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }
                foreach (var p in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(p);
                }
                continue;
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? root : Path.Combine(root, string.Join('/', resolved));
    }

    /// <summary>Go's filepath.Match for one path part: '*', '?', '[a-z]', '[^x]' / '[!x]', '\' escapes.</summary>
    public static bool GlobMatch(string pattern, string name) => Glob(pattern, 0, name, 0);

    private static bool Glob(string p, int pi, string s, int si)
    {
        while (pi < p.Length)
        {
            var c = p[pi];
            switch (c)
            {
                case '*':
                    for (var k = si; k <= s.Length; k++)
                    {
                        if (Glob(p, pi + 1, s, k))
                        {
                            return true;
                        }
                    }
                    return false;
                case '?':
                    if (si >= s.Length)
                    {
                        return false;
                    }
                    pi++;
                    si++;
                    break;
                case '[':
                    if (si >= s.Length)
                    {
                        return false;
                    }
                    var end = p.IndexOf(']', pi + 1);
                    if (end < 0)
                    {
                        throw new ArgumentException($"bad pattern '{p}': unterminated '['");
                    }
                    var cls = p[(pi + 1)..end];
                    var negate = cls.StartsWith('^') || cls.StartsWith('!');
                    if (negate)
                    {
                        cls = cls[1..];
                    }
                    var hit = false;
                    for (var i = 0; i < cls.Length; i++)
                    {
                        if (i + 2 < cls.Length && cls[i + 1] == '-')
                        {
                            hit |= s[si] >= cls[i] && s[si] <= cls[i + 2];
                            i += 2;
                        }
                        else
                        {
                            hit |= s[si] == cls[i];
                        }
                    }
                    if (hit == negate)
                    {
                        return false;
                    }
                    pi = end + 1;
                    si++;
                    break;
                case '\\' when pi + 1 < p.Length:
                    if (si >= s.Length || s[si] != p[pi + 1])
                    {
                        return false;
                    }
                    pi += 2;
                    si++;
                    break;
                default:
                    if (si >= s.Length || s[si] != c)
                    {
                        return false;
                    }
                    pi++;
                    si++;
                    break;
            }
        }
        return si == s.Length;
    }
}
