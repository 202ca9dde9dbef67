using Builder.Frontend.Parser;

namespace Builder.Frontend.Instructions;

/// <summary>
/// A validated Dockerfile instruction. Values are still unexpanded: variable expansion happens
/// during conversion, where the ARG and ENV scope is known.
/// </summary>
public abstract record Instruction(Node Node)
{
    /// <summary>Upper-case keyword, e.g. <c>RUN</c>.</summary>
    public string Keyword => Node.Keyword.ToUpperInvariant();
}

/// <summary>A command in shell form (one string run through SHELL) or exec form (an argv).</summary>
public sealed record CommandLine(IReadOnlyList<string> Args, bool PrependShell)
{
    public override string ToString() => PrependShell ? Args[0] : "[" + string.Join(", ", Args.Select(a => "\"" + a + "\"")) + "]";
}

/// <summary>A key and its (unexpanded) value; <see cref="Value"/> is null for <c>ARG name</c>.</summary>
public sealed record KeyValue(string Key, string? Value);

public sealed record FromInstruction(Node Node, string BaseName, string? StageName, string? Platform) : Instruction(Node);

public sealed record ArgInstruction(Node Node, IReadOnlyList<KeyValue> Args) : Instruction(Node);

public sealed record EnvInstruction(Node Node, IReadOnlyList<KeyValue> Pairs) : Instruction(Node);

public sealed record LabelInstruction(Node Node, IReadOnlyList<KeyValue> Pairs) : Instruction(Node);

public sealed record MaintainerInstruction(Node Node, string Maintainer) : Instruction(Node);

/// <summary>RUN with its <c>--mount</c> specs (raw text), <c>--network</c> and <c>--security</c>.</summary>
public sealed record RunInstruction(
    Node Node,
    CommandLine Command,
    IReadOnlyList<string> Mounts,
    string? Network,
    string? Security) : Instruction(Node)
{
    public IReadOnlyList<Heredoc> Heredocs => Node.Heredocs;
}

public sealed record CmdInstruction(Node Node, CommandLine Command) : Instruction(Node);

public sealed record EntrypointInstruction(Node Node, CommandLine Command) : Instruction(Node);

/// <summary>COPY and ADD share their shape; ADD-only options are null/false for COPY.</summary>
public sealed record CopyInstruction(
    Node Node,
    bool IsAdd,
    IReadOnlyList<string> Sources,
    string Destination,
    string? From,
    string? Chown,
    string? Chmod,
    bool Link,
    bool Parents,
    IReadOnlyList<string> Excludes,
    string? Checksum,
    bool? KeepGitDir,
    bool? Unpack) : Instruction(Node)
{
    public IReadOnlyList<Heredoc> Heredocs => Node.Heredocs;
}

public sealed record ExposeInstruction(Node Node, IReadOnlyList<string> Ports) : Instruction(Node);

public sealed record VolumeInstruction(Node Node, IReadOnlyList<string> Volumes) : Instruction(Node);

public sealed record UserInstruction(Node Node, string User) : Instruction(Node);

public sealed record WorkdirInstruction(Node Node, string Path) : Instruction(Node);

/// <summary>ONBUILD: <see cref="Expression"/> is the trigger as recorded in the image config.</summary>
public sealed record OnbuildInstruction(Node Node, string Expression) : Instruction(Node);

public sealed record StopSignalInstruction(Node Node, string Signal) : Instruction(Node);

/// <summary>HEALTHCHECK: <see cref="Test"/> is <c>["NONE"]</c>, <c>["CMD", ...]</c> or <c>["CMD-SHELL", cmd]</c>.</summary>
public sealed record HealthcheckInstruction(
    Node Node,
    IReadOnlyList<string> Test,
    TimeSpan? Interval,
    TimeSpan? Timeout,
    TimeSpan? StartPeriod,
    TimeSpan? StartInterval,
    int? Retries) : Instruction(Node);

public sealed record ShellInstruction(Node Node, IReadOnlyList<string> Shell) : Instruction(Node);
