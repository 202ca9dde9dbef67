using System.CommandLine;
using System.Diagnostics;
using Builder.Cli.Containers;
using Builder.Cli.Debug;
using Builder.Cli.Store;
using Builder.Engine;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug rerun ID [--network none|host]</c>: the failed command again, exactly as it ran (argv, env,
/// user, working directory, cache mounts, network), in a fresh copy of the state before the step; output live,
/// then its duration and exit code; exits with the command's exit code.
/// </summary>
internal static class DebugRerunCommand
{
    public static Command Create(CliContext cli)
    {
        var id = new Argument<string>("ID") { Description = "A kept failed step's id (or prefix)" };
        var network = new Option<string?>("--network") { Description = "none, default or host (unless given: as the step ran)" };
        var rerun = new Command("rerun", "Run a failed step's command again in a fresh copy of the state before it") { id, network };
        rerun.SetAction((parse, cancellationToken) => DebugCommand.RunAsync(cli, async () =>
        {
            using var store = StoreSession.Open(parse);
            var target = DebugTarget.Resolve(store.Root, parse.GetValue(id), null);
            var failure = target.Failure!;
            var mode = parse.GetValue(network) is { } text ? SnapshotContainer.ParseNetwork(text)
                : Enum.TryParse<NetworkMode>(failure.Network, out var recorded) ? recorded : NetworkMode.None;
            await cli.Error.WriteLineAsync($"re-running {failure.Name} from {failure.SourceFile}:{failure.StartLine} in a fresh copy of the state before it").ConfigureAwait(false);
            using var container = SnapshotContainer.Create(store.Root, target.Before, "rerun");
            var clock = Stopwatch.StartNew();
            var exit = await container.RunAsync(cli, new ContainerSpec
            {
                RootFs = container.RootFs,
                Args = failure.Command,
                Env = target.Env,
                User = target.User,
                WorkingDir = target.WorkingDir,
                Network = mode,
                Mounts = DebugShell.CacheMountsOf(store.Root.Path, target).ToList(),
            }, interactive: false, tty: false, cancellationToken).ConfigureAwait(false);
            clock.Stop();
            var seconds = clock.Elapsed.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
            if (exit.Failure is { } start)
            {
                await cli.Error.WriteLineAsync($"error: the command could not start: {start.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            var how = exit.Signal is { } signal ? $"killed by signal {signal}" : $"exit code {exit.ExitCode}";
            var was = failure.ExitCode is { } code ? $"exit code {code}" : failure.Signal is { } s ? $"signal {s}" : "unknown";
            await cli.Error.WriteLineAsync($"finished in {seconds}s: {how} (the build's run: {was})").ConfigureAwait(false);
            return exit.ExitCode;
        }));
        return rerun;
    }
}
