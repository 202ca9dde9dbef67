using System.CommandLine;
using Builder.Build.Debug;
using Builder.Cli.Build;
using Builder.Cli.Containers;
using Builder.Cli.Debug;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Server.Protocol.Debugging;
using Google.Protobuf;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug shell ID|--step N [BUILD] [--before] [--cmd PROG] [--network none|host] [--security sandbox|insecure]
/// [--commit NAME:TAG] [--secret ...]</c>: a shell in a throwaway container over the state, with the step's environment,
/// user, working directory and cache mounts. With <c>--host</c> the container runs on the build server (its entitlement
/// rules apply, and <c>--commit</c> saves to its store) and this terminal drives it.
/// </summary>
internal static class DebugShellCommand
{
    public static Command Create(CliContext cli)
    {
        var target = new DebugCommand.TargetArguments();
        var before = new Option<bool>("--before") { Description = "Enter the state before the step ran" };
        var program = new Option<string?>("--cmd") { Description = "Program to run instead of /bin/sh (arguments separated by spaces)" };
        var network = new Option<string?>("--network") { Description = "none (the default: loopback only), default (outbound through the user-mode NAT) or host" };
        var security = new Option<string?>("--security") { Description = "sandbox (the default) or insecure: every capability, /proc and /sys unmasked, as RUN --security=insecure (on a server, needs entitlement security.insecure)" };
        var commit = new Option<string?>("--commit") { Description = "Save the container's changes as image NAME:TAG in the store (the server's with --host; discarded otherwise)" };
        var secrets = new Option<string[]>("--secret") { Description = "Mount a secret at /run/secrets/ID: id=X,src=FILE or id=X,env=VAR (secrets are never kept)", AllowMultipleArgumentsPerToken = false };
        var shell = new Command("shell", "Start a shell in the state of a failed (or any) step") { before, program, network, security, commit, secrets };
        target.AddTo(shell);
        shell.SetAction((parse, cancellationToken) => DebugCommand.RunAsync(cli, async () =>
        {
            var options = Options(parse, before, program, network, commit, secrets);
            var securityText = parse.GetValue(security);
            if (securityText is not (null or "sandbox" or "insecure"))
            {
                throw new UsageException($"--security {securityText}: expected sandbox or insecure");
            }
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    var start = await StartAsync(target.ToWire(parse), options, parse.GetValue(network), securityText, parse.GetValue(commit), cancellationToken).ConfigureAwait(false);
                    return await RemoteDebugSession.RunAsync(cli, remote, start, ContainerConsole.HasTerminal(cli),
                        _ => Task.CompletedTask,
                        async (started, exit) =>
                        {
                            if (exit.StartFailure.Length > 0)
                            {
                                await cli.Error.WriteLineAsync(DebugShell.StartFailed(options.Command, started.Label, exit.StartFailure)).ConfigureAwait(false);
                                return ExitCodes.Failure;
                            }
                            if (exit.CommittedName.Length > 0)
                            {
                                await cli.Error.WriteLineAsync(DebugShell.Committed(exit.CommittedName, exit.CommittedId)).ConfigureAwait(false);
                            }
                            return exit.ExitCode;
                        }, cancellationToken).ConfigureAwait(false);
                }
            }
            // Locally the caller is the operator: asking is allowing, as with `builder run`.
            options = options with { Privileged = securityText == "insecure" };
            using var store = StoreSession.Open(parse);
            return await DebugShell.RunAsync(cli, store.Images, target.Resolve(store, parse), options, cancellationToken).ConfigureAwait(false);
        }));
        return shell;
    }

    private static DebugShellOptions Options(ParseResult parse, Option<bool> before, Option<string?> program, Option<string?> network, Option<string?> commit, Option<string[]> secrets)
    {
        var given = parse.GetValue(secrets) is { Length: > 0 } values ? SecretArguments.Parse(values) : null;
        return new DebugShellOptions
        {
            Before = parse.GetValue(before),
            Command = parse.GetValue(program) is { } text
                ? text.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } argv ? argv : throw new UsageException("--cmd: give a program")
                : ["/bin/sh"],
            Network = ContainerConsole.ParseNetwork(parse.GetValue(network)),
            Commit = parse.GetValue(commit) is { } name ? StoreCommand.ParseReference(name) : null,
            SecretIds = given?.Ids ?? [],
            Secrets = given,
        };
    }

    /// <summary>The remote session's start: the same choices; the secrets' values are read here and sent for the session only.</summary>
    private static async Task<SessionStart> StartAsync(Target target, DebugShellOptions options, string? network, string? security, string? commit, CancellationToken cancellationToken)
    {
        var start = new SessionStart
        {
            Kind = SessionKind.Shell,
            Target = target,
            Before = options.Before,
            Network = network ?? "",
            Security = security ?? "",
            Commit = commit ?? "",
            Stdin = true,
        };
        start.Command.Add(options.Command);
        foreach (var id in options.SecretIds)
        {
            if (await options.Secrets!.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } value)
            {
                start.Secrets.Add(new SecretValue { Id = id, Value = ByteString.CopyFrom(value) });
            }
        }
        return start;
    }
}
