using System.Text.Json;

namespace Builder.Solver.Definition;

/// <summary>
/// Applies file actions, in order, to a copy of the base input (input 0, or scratch when the
/// op has no base). Copy actions read from other inputs by index. Used for COPY, ADD, WORKDIR and
/// heredoc files.
/// </summary>
public sealed record FileOp(IReadOnlyList<FileAction> Actions, bool HasBase = true) : Op
{
    public override string Kind => "file";

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteBoolean("base", HasBase);
        writer.WriteStartArray("actions");
        foreach (var action in Actions)
        {
            writer.WriteStartObject();
            writer.WriteString("action", action.Name);
            action.WriteCanonical(writer);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}

/// <summary>
/// Who owns files an action creates: user and group as given in the Dockerfile (names are
/// resolved against the destination's /etc/passwd and /etc/group when the action runs).
/// </summary>
public sealed record Ownership(string User, string? Group)
{
    public override string ToString() => Group is null ? User : $"{User}:{Group}";
}

/// <summary>One step of a <see cref="FileOp"/>.</summary>
public abstract record FileAction
{
    /// <summary>The action's name in the canonical form.</summary>
    public abstract string Name { get; }

    internal abstract void WriteCanonical(Utf8JsonWriter writer);

    private protected static void WriteOwner(Utf8JsonWriter writer, Ownership? owner)
    {
        if (owner is not null)
        {
            writer.WriteString("owner", owner.ToString());
        }
    }

    private protected static void WriteList(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteStringValue(v);
        }
        writer.WriteEndArray();
    }
}

/// <summary>
/// Copies <see cref="Source"/> (a path or wildcard inside input <see cref="SourceInput"/>) to
/// <see cref="Destination"/>. Semantics follow Docker: a directory source copies its contents,
/// a trailing slash on the destination means a directory, parents are created.
/// </summary>
public sealed record CopyAction(int SourceInput, string Source, string Destination) : FileAction
{
    public override string Name => "copy";

    /// <summary>Owner of the copied files; null keeps the source's (for the context: root).</summary>
    public Ownership? Owner { get; init; }

    /// <summary>Mode as written in --chmod (octal or symbolic); null keeps the source's.</summary>
    public string? Chmod { get; init; }

    /// <summary>Follow a symlink given as the source path itself.</summary>
    public bool FollowSymlinks { get; init; } = true;

    /// <summary>Copy a directory's contents rather than the directory itself.</summary>
    public bool CopyDirContents { get; init; } = true;

    /// <summary>Expand wildcards in <see cref="Source"/>.</summary>
    public bool AllowWildcard { get; init; } = true;

    /// <summary>A wildcard that matches nothing is not an error.</summary>
    public bool AllowEmptyWildcard { get; init; }

    /// <summary>Create the destination's parent directories.</summary>
    public bool CreateDestPath { get; init; } = true;

    /// <summary>Unpack a local tar archive source into the destination (ADD).</summary>
    public bool AttemptUnpack { get; init; }

    /// <summary>Keep the source's parent directories under the destination (--parents).</summary>
    public bool Parents { get; init; }

    /// <summary>Patterns of source paths to leave out (--exclude).</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteNumber("input", SourceInput);
        writer.WriteString("src", Source);
        writer.WriteString("dest", Destination);
        WriteOwner(writer, Owner);
        if (Chmod is not null)
        {
            writer.WriteString("chmod", Chmod);
        }
        writer.WriteBoolean("followSymlinks", FollowSymlinks);
        writer.WriteBoolean("dirContents", CopyDirContents);
        writer.WriteBoolean("wildcard", AllowWildcard);
        writer.WriteBoolean("allowEmptyWildcard", AllowEmptyWildcard);
        writer.WriteBoolean("createDestPath", CreateDestPath);
        writer.WriteBoolean("unpack", AttemptUnpack);
        writer.WriteBoolean("parents", Parents);
        WriteList(writer, "excludes", Excludes);
    }
}

/// <summary>Creates a directory (and, with <see cref="MakeParents"/>, its parents).</summary>
public sealed record MkdirAction(string Path, int Mode = 0x1ED /* 0755 */, bool MakeParents = true) : FileAction
{
    public override string Name => "mkdir";

    /// <summary>Owner of the created directories; null for root.</summary>
    public Ownership? Owner { get; init; }

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteString("path", Path);
        writer.WriteNumber("mode", Mode);
        writer.WriteBoolean("parents", MakeParents);
        WriteOwner(writer, Owner);
    }
}

/// <summary>Writes a file with the given content (heredocs).</summary>
public sealed record MkfileAction(string Path, string Content, int Mode = 0x1A4 /* 0644 */) : FileAction
{
    public override string Name => "mkfile";

    /// <summary>Owner of the file; null for root.</summary>
    public Ownership? Owner { get; init; }

    /// <summary>Mode as written in --chmod, overriding <see cref="Mode"/>.</summary>
    public string? Chmod { get; init; }

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteString("path", Path);
        writer.WriteString("content", Content);
        writer.WriteNumber("mode", Mode);
        if (Chmod is not null)
        {
            writer.WriteString("chmod", Chmod);
        }
        WriteOwner(writer, Owner);
    }
}

/// <summary>Removes a path.</summary>
public sealed record RmAction(string Path, bool AllowNotFound = false, bool AllowWildcard = false) : FileAction
{
    public override string Name => "rm";

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteString("path", Path);
        writer.WriteBoolean("allowNotFound", AllowNotFound);
        writer.WriteBoolean("wildcard", AllowWildcard);
    }
}

/// <summary>Creates a symbolic link at <see cref="Path"/> pointing to <see cref="Target"/>.</summary>
public sealed record SymlinkAction(string Target, string Path) : FileAction
{
    public override string Name => "symlink";

    internal override void WriteCanonical(Utf8JsonWriter writer)
    {
        writer.WriteString("target", Target);
        writer.WriteString("path", Path);
    }
}
