using System.Runtime.InteropServices;
using Builder.Build.Debug;
using Builder.Cli.Terminal;
using Builder.Engine;

namespace Builder.Cli.Containers;

/// <summary>
/// Runs a container of <c>builder run</c> or <c>builder debug</c> on this process's standard streams: with
/// the caller's terminal in raw mode (window resizes forwarded) for a tty, with stdin when interactive.
/// </summary>
internal static class ContainerConsole
{
    /// <summary>
    /// Runs <paramref name="spec"/> in <paramref name="container"/> (its RootFs is the container's) with the caller's terminal when
    /// <paramref name="tty"/> (raw mode, window resizes forwarded) and stdin when <paramref name="interactive"/>.
    /// </summary>
    public static async Task<ContainerExit> RunAsync(this SnapshotContainer container, CliContext cli, ContainerSpec spec, bool interactive, bool tty, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(container);
        ArgumentNullException.ThrowIfNull(spec);
        return await RunAsync(cli, spec with { RootFs = container.RootFs }, interactive, tty, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="spec"/> as it is (its RootFs prepared by the caller) on the console.</summary>
    public static async Task<ContainerExit> RunAsync(CliContext cli, ContainerSpec spec, bool interactive, bool tty, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(spec);
        using var raw = tty ? RawTerminal.Enter() : null;
        var io = new ContainerIo
        {
            Stdin = interactive ? cli.StdinStream : null,
            Stdout = cli.StdoutStream,
            Stderr = tty ? null : ReferenceEquals(cli, CliContext.Console) ? Console.OpenStandardError() : cli.StdoutStream,
            Terminal = tty ? RawTerminal.Size() : null,
        };
        using var resize = tty ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => io.Resize(RawTerminal.Size())) : null;
        return await Executors.Create().RunAsync(spec, io, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when stdin and stdout are this process's terminal: a debug shell then gets a pseudo-terminal.</summary>
    public static bool HasTerminal(CliContext cli) => ReferenceEquals(cli, CliContext.Console) && !Console.IsInputRedirected && !Console.IsOutputRedirected;

    /// <summary>A <c>--network</c> value of <c>builder run</c> and <c>builder debug</c>: none (loopback only, the default), default (the user-mode NAT) or host.</summary>
    public static NetworkMode ParseNetwork(string? text) => text switch
    {
        null or "" or "none" => NetworkMode.None,
        "default" => NetworkMode.Default,
        "host" => NetworkMode.Host,
        var other => throw new UsageException($"--network {other}: expected none, default or host"),
    };
}
