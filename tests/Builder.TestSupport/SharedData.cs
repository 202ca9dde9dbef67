using Xunit;

namespace Builder.TestSupport;

/// <summary>
/// Locates the read-only shared material (../shared beside the repository, or BUILDER_SHARED_DIR).
/// Under CI (CI=true) missing data is a failure, never a skip.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>The repository root (the folder holding Builder.sln).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>True when running under CI, where nothing may be skipped for lack of data or capability.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Returns the path of <paramref name="relative"/> under the shared folder. Skips the test when it is
    /// absent outside CI, and fails under CI.
    /// </summary>
    public static string Require(string relative)
    {
        var root = Root.Value;
        var path = root is null ? null : Path.Combine(root, relative);
        if (path is not null && (File.Exists(path) || Directory.Exists(path)))
        {
            return path;
        }
        var message = $"shared data '{relative}' not found (looked in {root ?? "../shared and $BUILDER_SHARED_DIR"})";
        if (IsCi)
        {
            throw new InvalidOperationException(message + "; CI=true, so this is a failure");
        }
        Assert.Skip(message);
        return ""; // unreachable: Assert.Skip throws
    }

    /// <summary>Like <see cref="Require"/> but for use in theory data sources, where skipping is impossible.</summary>
    public static string? TryFind(string relative)
    {
        var root = Root.Value;
        if (root is null)
        {
            if (IsCi)
            {
                throw new InvalidOperationException($"shared data '{relative}' not found; CI=true, so this is a failure");
            }
            return null;
        }
        var path = Path.Combine(root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            if (IsCi)
            {
                throw new InvalidOperationException($"shared data '{path}' not found; CI=true, so this is a failure");
            }
            return null;
        }
        return path;
    }

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("BUILDER_SHARED_DIR");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }
        var candidate = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
        return Directory.Exists(candidate) ? candidate : null;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Builder.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Builder.sln not found above " + AppContext.BaseDirectory);
    }
}
