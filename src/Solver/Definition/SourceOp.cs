using System.Text.Json;

namespace Builder.Solver.Definition;

/// <summary>Where a source's content comes from.</summary>
public enum SourceKind
{
    /// <summary>An empty filesystem.</summary>
    Scratch,
    /// <summary>A container image from a registry or the local store.</summary>
    Image,
    /// <summary>Files from the client: the build context or a named local context.</summary>
    Local,
    /// <summary>A file downloaded over HTTP(S).</summary>
    Http,
    /// <summary>A git repository at a ref.</summary>
    Git,
}

/// <summary>
/// A leaf of the DAG. <see cref="Identifier"/> names the content (an image reference, a local
/// context name, a URL) and <see cref="Attributes"/> refine it (platform, include/exclude
/// patterns, checksum...). Attributes are written sorted by key, so order never changes a digest.
/// </summary>
public sealed record SourceOp(SourceKind Source, string Identifier, IReadOnlyDictionary<string, string> Attributes) : Op
{
    public static SourceOp Scratch { get; } = new(SourceKind.Scratch, "scratch", new Dictionary<string, string>());

    public override string Kind => "source";

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteString("source", Source.ToString().ToLowerInvariant());
        writer.WriteString("identifier", Identifier);
        writer.WriteStartObject("attrs");
        foreach (var (key, value) in Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            writer.WriteString(key, value);
        }
        writer.WriteEndObject();
    }

    /// <summary>Attribute keys with a meaning to the solver.</summary>
    public static class Attr
    {
        /// <summary>Image platform, <c>os/arch[/variant]</c>.</summary>
        public const string Platform = "platform";
        /// <summary>Resolved image manifest digest, when known.</summary>
        public const string ImageDigest = "image.digest";
        /// <summary>Newline-separated patterns of paths to include from a local source.</summary>
        public const string Include = "local.include";
        /// <summary>Newline-separated patterns of paths to exclude from a local source (.dockerignore).</summary>
        public const string Exclude = "local.exclude";
        /// <summary>Expected content checksum of an http source.</summary>
        public const string Checksum = "http.checksum";
        /// <summary>File name to save an http source as.</summary>
        public const string Filename = "http.filename";
        /// <summary>Git ref (branch, tag or commit).</summary>
        public const string GitRef = "git.ref";
        /// <summary>Subdirectory of a git repository.</summary>
        public const string GitSubdir = "git.subdir";
        /// <summary>"true" to keep the .git directory.</summary>
        public const string KeepGitDir = "git.keepgitdir";
    }
}
