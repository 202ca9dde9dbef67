using System.CommandLine;
using Builder.Build.Debug;
using Builder.Cli.Store;
using Builder.Cli.Containers;
using Builder.Engine;
using Builder.Exporter.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder run [--rm] [-it] [--network M] IMAGE [CMD...]</c>: runs a stored image's command
/// (or CMD) with the image's config, so a user can try what they built. The container's
/// filesystem changes are discarded when it exits.
/// </summary>
internal static class RunCommand
{
    private static readonly HashSet<string> OptionsWithValues = ["--network", "--entrypoint", "--env", "-e", "--user", "-u", "--workdir", "-w", "--root", "--insecure-registry"];

    /// <summary>
    /// Everything after the image is the container's command, options included (<c>run busybox sh -c
    /// "echo hi"</c>): a <c>--</c> is put after the image so the parser leaves those tokens alone.
    /// </summary>
    public static string[] SeparateCommand(string[] args)
    {
        var run = 0;
        while (run < args.Length && args[run].StartsWith('-'))
        {
            run += OptionsWithValues.Contains(args[run]) ? 2 : 1; // global options before the command
        }
        if (run >= args.Length || args[run] != "run" || args.Contains("--"))
        {
            return args;
        }
        for (var i = run + 1; i < args.Length; i++)
        {
            if (OptionsWithValues.Contains(args[i]))
            {
                i++;
                continue;
            }
            if (args[i].StartsWith('-'))
            {
                continue;
            }
            return i + 1 < args.Length ? [.. args[..(i + 1)], "--", .. args[(i + 1)..]] : args;
        }
        return args;
    }

    public static Command Create(CliContext cli)
    {
        var remove = new Option<bool>("--rm") { Description = "Remove the container when it exits (always done: containers are not kept)" };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Keep standard input open" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Give the command a terminal" };
        var network = new Option<string?>("--network") { Description = "none (the default: loopback only), default (outbound through a user-mode NAT) or host" };
        var entrypoint = new Option<string?>("--entrypoint") { Description = "Override the image's entrypoint" };
        var env = new Option<string[]>("--env", "-e") { Description = "Set an environment variable K=V", AllowMultipleArgumentsPerToken = false };
        var user = new Option<string?>("--user", "-u") { Description = "Run as this user (name or uid[:gid])" };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory inside the container" };
        var image = new Argument<string>("IMAGE") { Description = "Image name or id" };
        var command = new Argument<string[]>("COMMAND") { Description = "Command and arguments (default: the image's CMD)", Arity = ArgumentArity.ZeroOrMore };
        var run = new Command("run", "Run a command in a new container from a stored image") { remove, interactive, tty, network, entrypoint, env, user, workdir, image, command };
        run.SetAction(async (parse, cancellationToken) =>
        {
            using var store = StoreSession.Open(parse);
            StoredImage stored;
            try
            {
                stored = store.Images.Require(parse.GetValue(image)!);
                stored = await store.Puller.UnpackedAsync(stored, cancellationToken).ConfigureAwait(false); // `builder pull` stores blobs only
            }
            catch (Exception e) when (e is ImageNotFoundException or ImagePullException)
            {
                cli.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failure;
            }
            var config = store.Images.ReadConfig(stored).Config;
            var args = (parse.GetValue(entrypoint) is { } ep ? (ep.Length == 0 ? [] : [ep]) : config.Entrypoint ?? []).ToList();
            var cmd = parse.GetValue(command) is { Length: > 0 } given ? given : parse.GetValue(entrypoint) is null ? config.Cmd ?? [] : [];
            args.AddRange(cmd);
            if (args.Count == 0)
            {
                cli.Error.WriteLine($"error: {parse.GetValue(image)} has no command (CMD or ENTRYPOINT); give one after the image name");
                return ExitCodes.Usage;
            }
            var networkMode = ContainerConsole.ParseNetwork(parse.GetValue(network));
            var environment = (config.Env ?? []).ToList();
            foreach (var e in parse.GetValue(env) ?? [])
            {
                var name = e.Split('=', 2)[0];
                environment.RemoveAll(x => x.Split('=', 2)[0] == name);
                environment.Add(e.Contains('=') ? e : $"{e}={Environment.GetEnvironmentVariable(e)}");
            }

            using var container = SnapshotContainer.Create(store.Root, stored.TopSnapshot, "run");
            var exit = await container.RunAsync(cli, new ContainerSpec
            {
                RootFs = container.RootFs,
                Args = args,
                Env = environment,
                WorkingDir = parse.GetValue(workdir) ?? (string.IsNullOrEmpty(config.WorkingDir) ? "/" : config.WorkingDir),
                User = parse.GetValue(user) ?? config.User ?? "",
                Network = networkMode,
            }, parse.GetValue(interactive), parse.GetValue(tty), cancellationToken).ConfigureAwait(false);
            if (exit.Failure is { } failure)
            {
                cli.Error.WriteLine($"error: the container could not start: {failure.Message}");
            }
            return exit.ExitCode;
        });
        return run;
    }
}
