using Builder.Snapshotter.Context;

namespace Builder.Frontend.DockerIgnore;

/// <summary>
/// Finds the ignore rules for a build: <c>&lt;Dockerfile&gt;.dockerignore</c> beside the
/// Dockerfile wins over <c>.dockerignore</c> at the context root, as in BuildKit.
/// </summary>
public static class DockerIgnoreLoader
{
    /// <summary>Returns the exclude patterns for the context, or an empty list when there is no ignore file.</summary>
    public static IReadOnlyList<string> Load(string contextDir, string? dockerfilePath)
    {
        ArgumentNullException.ThrowIfNull(contextDir);
        var path = FindFile(contextDir, dockerfilePath);
        if (path is null)
        {
            return [];
        }
        using var reader = new StreamReader(path);
        try
        {
            return DockerIgnoreFile.Parse(reader);
        }
        catch (FormatException e)
        {
            throw new DockerfileException($"{path}: {e.Message}");
        }
    }

    /// <summary>The ignore file that applies, or null.</summary>
    public static string? FindFile(string contextDir, string? dockerfilePath)
    {
        if (dockerfilePath is not null)
        {
            var specific = dockerfilePath + ".dockerignore";
            if (File.Exists(specific))
            {
                return specific;
            }
        }
        var general = Path.Combine(contextDir, ".dockerignore");
        return File.Exists(general) ? general : null;
    }
}
