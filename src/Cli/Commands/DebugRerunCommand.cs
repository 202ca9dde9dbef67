using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Builder.Build.Debug;
using Builder.Cli.Containers;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Server.Protocol.Debugging;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug rerun ID [--network none|host]</c>: the failed command again, exactly as it ran (argv, env,
/// user, working directory, cache mounts, network), in a fresh copy of the state before the step; output live,
/// then its duration and exit code; exits with the command's exit code. With <c>--host</c> it runs on the server.
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
            var networkText = parse.GetValue(network);
            var given = networkText is null ? (Engine.NetworkMode?)null : ContainerConsole.ParseNetwork(networkText);
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    var request = new SessionStart { Kind = SessionKind.Rerun, Target = new Target { Id = parse.GetValue(id) ?? "" }, Network = networkText ?? "" };
                    return await RemoteDebugSession.RunAsync(cli, remote, request, tty: false,
                        started => cli.Error.WriteLineAsync(Starting(started.StepName, started.SourceFile, started.StartLine)),
                        async (started, exit) =>
                        {
                            if (exit.StartFailure.Length > 0)
                            {
                                await cli.Error.WriteLineAsync($"error: the command could not start: {exit.StartFailure}").ConfigureAwait(false);
                                return ExitCodes.Failure;
                            }
                            await cli.Error.WriteLineAsync(Finished(TimeSpan.FromTicks(exit.DurationTicks), exit.ExitCode, exit.HasSignal ? exit.Signal : null,
                                started.HasExitCode ? started.ExitCode : null, started.HasSignal ? started.Signal : null)).ConfigureAwait(false);
                            return exit.ExitCode;
                        }, cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            var target = DebugTarget.Resolve(store.Root, parse.GetValue(id), null);
            var failure = target.Failure!;
            await cli.Error.WriteLineAsync(Starting(failure.Name, failure.SourceFile, failure.StartLine)).ConfigureAwait(false);
            using var container = DebugContainer.ForRerun(store.Images, target, given ?? target.RecordedNetwork);
            var clock = Stopwatch.StartNew();
            var exit = await ContainerConsole.RunAsync(cli, container.Spec, interactive: false, tty: false, cancellationToken).ConfigureAwait(false);
            clock.Stop();
            if (exit.Failure is { } start)
            {
                await cli.Error.WriteLineAsync($"error: the command could not start: {start.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            await cli.Error.WriteLineAsync(Finished(clock.Elapsed, exit.ExitCode, exit.Signal, failure.ExitCode, failure.Signal)).ConfigureAwait(false);
            return exit.ExitCode;
        }));
        return rerun;
    }

    private static string Starting(string name, string? sourceFile, int startLine) =>
        $"re-running {name} from {sourceFile}:{startLine} in a fresh copy of the state before it";

    private static string Finished(TimeSpan elapsed, int exitCode, int? signal, int? buildExitCode, int? buildSignal)
    {
        var seconds = elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
        var how = signal is { } s ? $"killed by signal {s}" : $"exit code {exitCode}";
        var was = buildExitCode is { } code ? $"exit code {code}" : buildSignal is { } bs ? $"signal {bs}" : "unknown";
        return $"finished in {seconds}s: {how} (the build's run: {was})";
    }
}
