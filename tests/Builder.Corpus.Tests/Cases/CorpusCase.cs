using Builder.TestSupport;

namespace Builder.Corpus.Tests.Cases;

/// <summary>One folder of tests/dockerfiles/cases: its Dockerfile, context and expectation.</summary>
public sealed class CorpusCase
{
    private CorpusCase(string name, string folder, CaseExpectation expectation)
    {
        Name = name;
        Folder = folder;
        Expectation = expectation;
    }

    public string Name { get; }

    public string Folder { get; }

    public CaseExpectation Expectation { get; }

    public string DockerfilePath => Path.Combine(Folder, Expectation.Dockerfile ?? "Dockerfile");

    public string DockerfileText => File.ReadAllText(DockerfilePath);

    /// <summary>The context folder in the repository, or null when the case has none.</summary>
    public string? ContextFolder => Directory.Exists(Path.Combine(Folder, "context")) ? Path.Combine(Folder, "context") : null;

    /// <summary>The Dockerfile declares <c>ARG NAME</c> (so the runner passes that build arg).</summary>
    public bool Declares(string arg) =>
        DockerfileText.Split('\n').Any(line =>
        {
            var t = line.Trim();
            return t.StartsWith("ARG ", StringComparison.OrdinalIgnoreCase)
                && t[4..].Trim().Split('=', 2)[0] == arg;
        });

    public static string CasesRoot => Path.Combine(SharedData.RepoRoot, "tests", "dockerfiles", "cases");

    public static IReadOnlyList<string> Names() =>
        Directory.EnumerateDirectories(CasesRoot).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    public static CorpusCase Load(string name)
    {
        var folder = Path.Combine(CasesRoot, name);
        return new CorpusCase(name, folder, CaseExpectation.Load(Path.Combine(folder, "expect.json")));
    }

    /// <summary>
    /// Copies the context into <paramref name="dest"/> (an empty one when the case has none) and
    /// applies the case's context modes and empty directories.
    /// </summary>
    public string PrepareContext(string dest)
    {
        Directory.CreateDirectory(dest);
        if (ContextFolder is { } source)
        {
            CopyTree(source, dest);
        }
        foreach (var dir in Expectation.ContextDirs)
        {
            Directory.CreateDirectory(Path.Combine(dest, dir));
        }
        foreach (var (path, mode) in Expectation.ContextModes)
        {
            File.SetUnixFileMode(Path.Combine(dest, path), (UnixFileMode)Convert.ToInt32(mode, 8));
        }
        return dest;
    }

    /// <summary>Copies a folder keeping symlinks as symlinks and the executable bits git keeps.</summary>
    public static void CopyTree(string source, string dest)
    {
        Directory.CreateDirectory(dest);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(dest, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (entry is DirectoryInfo dir)
            {
                CopyTree(dir.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
                File.SetUnixFileMode(target, File.GetUnixFileMode(entry.FullName));
            }
        }
    }
}
