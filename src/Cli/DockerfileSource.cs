using Builder.Frontend;

namespace Builder.Cli;

/// <summary>
/// The Dockerfile a command works on: read from a file or standard input (<c>-f -</c>), with
/// the name used in messages and the .dockerignore rules that go with it.
/// </summary>
internal sealed class DockerfileSource
{
    private DockerfileSource(string displayName, string? path, string text)
    {
        DisplayName = displayName;
        Path = path;
        Text = text;
    }

    /// <summary>Name shown in messages, e.g. <c>examples/hello/Dockerfile</c>.</summary>
    public string DisplayName { get; }

    /// <summary>The file's path, or null when read from standard input.</summary>
    public string? Path { get; }

    public string Text { get; }

    /// <summary>
    /// Reads <paramref name="file"/> (<c>-</c> for stdin); when null, <c>Dockerfile</c> in the context.
    /// Throws <see cref="UsageException"/> when the file cannot be read.
    /// </summary>
    public static DockerfileSource Read(string? file, string contextDir, TextReader stdin)
    {
        if (file == "-")
        {
            return new DockerfileSource("Dockerfile", null, stdin.ReadToEnd());
        }
        var path = file ?? System.IO.Path.Combine(contextDir, "Dockerfile");
        try
        {
            return new DockerfileSource(path, path, File.ReadAllText(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UsageException($"cannot read the Dockerfile: {path} does not exist" + (file is null ? " (use -f to name another file)" : ""));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the Dockerfile {path}: {e.Message}");
        }
    }
}

/// <summary>A problem with how the command was called (exit code 2), as opposed to the Dockerfile itself.</summary>
internal sealed class UsageException(string message) : Exception(message);
