using System.CommandLine;
using Builder.Cli.Build;
using Builder.Cli.Containers;
using Builder.Cli.Debug;
using Builder.Cli.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug shell ID|--step N [BUILD] [--before] [--cmd PROG] [--network none|host] [--commit NAME:TAG] [--secret ...]</c>:
/// a shell in a throwaway container over the state, with the step's environment, user, working directory and cache mounts.
/// </summary>
internal static class DebugShellCommand
{
    public static Command Create(CliContext cli)
    {
        var target = new DebugCommand.TargetArguments();
        var before = new Option<bool>("--before") { Description = "Enter the state before the step ran" };
        var program = new Option<string?>("--cmd") { Description = "Program to run instead of /bin/sh (arguments separated by spaces)" };
        var network = new Option<string?>("--network") { Description = "none (the default: loopback only), default (outbound through the user-mode NAT) or host" };
        var commit = new Option<string?>("--commit") { Description = "Save the container's changes as image NAME:TAG in the local store (discarded otherwise)" };
        var secrets = new Option<string[]>("--secret") { Description = "Mount a secret at /run/secrets/ID: id=X,src=FILE or id=X,env=VAR (secrets are never kept)", AllowMultipleArgumentsPerToken = false };
        var shell = new Command("shell", "Start a shell in the state of a failed (or any) step") { before, program, network, commit, secrets };
        target.AddTo(shell);
        shell.SetAction((parse, cancellationToken) => DebugCommand.RunAsync(cli, async () =>
        {
            var options = Options(parse, before, program, network, commit, secrets);
            using var store = StoreSession.Open(parse);
            return await DebugShell.RunAsync(cli, store.Images, target.Resolve(store, parse), options, cancellationToken).ConfigureAwait(false);
        }));
        return shell;
    }

    private static DebugShellOptions Options(ParseResult parse, Option<bool> before, Option<string?> program, Option<string?> network, Option<string?> commit, Option<string[]> secrets) => new()
    {
        Before = parse.GetValue(before),
        Command = parse.GetValue(program) is { } text
            ? text.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } argv ? argv : throw new UsageException("--cmd: give a program")
            : ["/bin/sh"],
        Network = SnapshotContainer.ParseNetwork(parse.GetValue(network)),
        Commit = parse.GetValue(commit) is { } name ? StoreCommand.ParseReference(name) : null,
        Secrets = parse.GetValue(secrets) is { Length: > 0 } given ? SecretArguments.Parse(given) : null,
    };
}
