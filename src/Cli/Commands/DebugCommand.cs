using System.CommandLine;
using Builder.Build.Debug;
using Builder.Cli.Debug;
using Builder.Cli.Remote;
using Builder.Cli.Store;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder debug ls|shell|rerun|export|diff</c>: into the state of a failed step (kept by <c>builder build</c>)
/// or of any recorded step (<c>--step N BUILD</c>); with <c>--host</c> (or BUILDER_HOST) on the build server's store.
/// </summary>
internal static class DebugCommand
{
    public static Command Create(CliContext cli)
    {
        var debug = new Command("debug", "Inspect, enter, re-run and export the state of failed (or any) build steps")
        {
            CreateList(cli),
            DebugShellCommand.Create(cli),
            DebugRerunCommand.Create(cli),
            DebugExportCommand.Create(cli),
            DebugDiffCommand.Create(cli),
        };
        return debug;
    }

    /// <summary>The ID|BUILD argument and --step option every target-taking subcommand has.</summary>
    internal sealed class TargetArguments
    {
        public Argument<string?> Id { get; } = new("ID") { Description = "A kept failed step's id (or prefix); with --step, a build id (default: the newest build)", Arity = ArgumentArity.ZeroOrOne };

        public Option<int?> Step { get; } = new("--step") { Description = "Use step N of the build (numbers as builder history shows them)" };

        public void AddTo(Command command)
        {
            command.Arguments.Add(Id);
            command.Options.Add(Step);
        }

        public DebugTarget Resolve(StoreSession store, ParseResult parse)
        {
            RequireTarget(parse);
            return DebugTarget.Resolve(store.Root, parse.GetValue(Id), parse.GetValue(Step));
        }

        /// <summary>The target as the build server's debugging API names it.</summary>
        public Server.Protocol.Debugging.Target ToWire(ParseResult parse)
        {
            RequireTarget(parse);
            var step = parse.GetValue(Step);
            return new Server.Protocol.Debugging.Target { Id = parse.GetValue(Id) ?? "", HasStep = step is not null, Step = step ?? 0 };
        }

        private void RequireTarget(ParseResult parse)
        {
            if (parse.GetValue(Step) is null && string.IsNullOrEmpty(parse.GetValue(Id)))
            {
                throw new UsageException("give the id of a kept failed step (see builder debug ls), or --step N [BUILD]");
            }
        }
    }

    /// <summary>Runs a debug command, turning a target that cannot be used or a store error into one error line.</summary>
    internal static Task<int> RunAsync(CliContext cli, Func<Task<int>> action) => StoreCommand.RunAsync(cli, async () =>
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (DebugTargetException e)
        {
            await cli.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    });

    private static Command CreateList(CliContext cli)
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Only show ids" };
        var ls = new Command("ls", "List the kept failed steps, newest first") { quiet };
        ls.SetAction((parse, cancellationToken) => RunAsync(cli, async () =>
        {
            var quietOutput = parse.GetValue(quiet);
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    return await RemoteDebugCommands.ListFailuresAsync(cli, remote, !quietOutput, failures => WriteFailuresAsync(cli, failures, quietOutput), cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            return await WriteFailuresAsync(cli, DebugListings.Failures(store.Root, withSizes: !quietOutput), quietOutput).ConfigureAwait(false);
        }));
        return ls;
    }

    /// <summary>The <c>debug ls</c> table (or only ids), for the local store or a server's.</summary>
    internal static async Task<int> WriteFailuresAsync(CliContext cli, IReadOnlyList<FailureListing> failures, bool quietOutput)
    {
        if (quietOutput)
        {
            foreach (var f in failures)
            {
                await cli.Out.WriteLineAsync(f.Id).ConfigureAwait(false);
            }
            return ExitCodes.Success;
        }
        var rows = new List<string[]> { new[] { "ID", "CREATED", "IMAGE/BUILD", "SOURCE", "INSTRUCTION", "EXIT", "SIZE", "EXPIRES" } };
        var now = DateTimeOffset.UtcNow;
        foreach (var f in failures)
        {
            var image = f.BuildNames.Count > 0 ? string.Join(",", f.BuildNames) : f.BuildId;
            var source = (f.SourceFile ?? "?") + ":" + f.StartLine;
            var exit = f.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? (f.Signal is { } s ? "signal " + s : "-");
            var size = f.Size is { } bytes ? ImagesCommand.HumanSize(bytes) : "gone";
            var expires = f.Expires <= now ? "expired" : "in " + ImagesCommand.Ago(f.Expires - now).Replace(" ago", "", StringComparison.Ordinal);
            rows.Add([f.Id, ImagesCommand.Ago(now - f.Created), image, source, Instruction(f.Name), exit, size, expires]);
        }
        await TextTable.WriteAsync(cli.Out, rows).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    /// <summary>The instruction of a step name (<c>[stage 2/3] RUN make</c> → <c>RUN make</c>), shortened for a table.</summary>
    internal static string Instruction(string name)
    {
        var text = name.StartsWith('[') && name.IndexOf("] ", StringComparison.Ordinal) is var end and > 0 ? name[(end + 2)..] : name;
        return text.Length > 50 ? text[..49] + "…" : text;
    }
}
