using Builder.Build.Debug;
using Builder.Cli.Containers;
using Builder.Exporter.Store;

namespace Builder.Cli.Debug;

/// <summary>
/// Runs a program in a throwaway container over a debug target's state with the step's environment, user,
/// working directory and cache mounts (<see cref="DebugContainer"/>): interactively on the caller's terminal
/// when there is one. Changes are discarded, or with <see cref="DebugShellOptions.Commit"/> stored as an image.
/// </summary>
internal static class DebugShell
{
    public static async Task<int> RunAsync(CliContext cli, ImageStore images, DebugTarget target, DebugShellOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        using var container = await DebugContainer.ForShellAsync(images, target, options, cancellationToken).ConfigureAwait(false);
        var exit = await ContainerConsole.RunAsync(cli, container.Spec, interactive: true, ContainerConsole.HasTerminal(cli), cancellationToken).ConfigureAwait(false);
        if (exit.Failure is { } failure)
        {
            cli.Error.WriteLine(StartFailed(options.Command, target.Label, failure.Message));
            return ExitCodes.Failure;
        }
        if (options.Commit is { } name)
        {
            var image = container.Commit(name);
            cli.Error.WriteLine(Committed(name.ToString(), image.ConfigDigest.ToString()));
        }
        return exit.ExitCode;
    }

    /// <summary>The error line when the program could not start (local and remote shells print the same).</summary>
    public static string StartFailed(IReadOnlyList<string> command, string label, string message) =>
        $"error: {string.Join(" ", command)} could not start in {label}: {message}";

    /// <summary>The line after <c>--commit</c> saved the changes.</summary>
    public static string Committed(string name, string configDigest) => $"committed the changes as {name} ({configDigest})";
}
