namespace Builder.Engine;

/// <summary>
/// Where the container's stdio goes. Without a terminal, stdout and stderr are separate pipes
/// copied completely (never truncated) to <see cref="Stdout"/> and <see cref="Stderr"/>. With
/// <see cref="Terminal"/> set, the command gets a pseudo-terminal as its controlling terminal:
/// its output (stdout and stderr together, as on any terminal) goes to <see cref="Stdout"/>.
/// </summary>
public sealed class ContainerIo
{
    private Action<TerminalSize>? _resize;

    /// <summary>Copied to the command's stdin, which is closed at its end; null gives /dev/null.</summary>
    public Stream? Stdin { get; init; }

    public Stream? Stdout { get; init; }

    public Stream? Stderr { get; init; }

    /// <summary>Non-null for an interactive run on a pseudo-terminal of this initial size.</summary>
    public TerminalSize? Terminal { get; init; }

    /// <summary>No input, output discarded.</summary>
    public static ContainerIo Null => new();

    /// <summary>Changes the terminal's window size (the command gets SIGWINCH); ignored without a terminal or before start.</summary>
    public void Resize(TerminalSize size) => _resize?.Invoke(size);

    internal void OnResize(Action<TerminalSize>? resize) => _resize = resize;
}
