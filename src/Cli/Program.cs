using System.CommandLine;
using System.Reflection;
using Builder.Cli.Commands;
using Builder.Cli.Store;

namespace Builder.Cli;

/// <summary>The <c>builder</c> command: argument parsing and dispatch to subcommands.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, CliContext.Console);

    internal static int Run(string[] args, CliContext cli)
    {
        var debug = new Option<bool>("--debug") { Description = "Print internal details (stack traces) on failure", Recursive = true };
        var root = new RootCommand("builder: build container images from Dockerfiles, without a daemon")
        {
            ParseCommand.Create(cli),
            PlanCommand.Create(cli),
            BuildCommand.Create(cli),
            RunCommand.Create(cli),
            ImagesCommand.Create(cli),
            TagCommand.Create(cli),
            RmiCommand.Create(cli),
            InspectCommand.Create(cli),
            SaveCommand.Create(cli),
            LoadCommand.Create(cli),
            PullCommand.Create(cli),
            PushCommand.Create(cli),
            LoginCommand.Create(cli),
            LogoutCommand.Create(cli),
            ImportCommand.Create(cli),
            DebugCommand.Create(cli),
            HistoryCommand.Create(cli),
            PruneCommand.Create(cli),
            ServeCommand.Create(cli),
        };
        root.Options.Add(debug);
        GlobalOptions.AddTo(root);
        Remote.RemoteOptions.AddTo(root);
        foreach (var option in root.Options.OfType<VersionOption>())
        {
            option.Action = new PrintVersionAction(cli);
        }
        var parse = root.Parse(RunCommand.SeparateCommand(args));
        var configuration = new InvocationConfiguration { Output = cli.Out, Error = cli.Error, EnableDefaultExceptionHandler = false };
        if (parse.CommandResult.Command.Name is "serve" or "build")
        {
            // serve handles SIGTERM itself: it drains for up to --shutdown-grace, longer than System.CommandLine's 2 s;
            // build handles SIGINT itself: it exits only after its containers and mounts are gone (BuildInterrupt).
            configuration.ProcessTerminationTimeout = null;
        }
        try
        {
            var code = parse.Invoke(configuration);
            return parse.Errors.Count > 0 ? ExitCodes.Usage : code;
        }
        catch (UsageException e)
        {
            cli.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            cli.Error.WriteLine("error: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            cli.Error.WriteLine($"error: internal error: {e.Message}");
            if (parse.GetValue(debug))
            {
                cli.Error.WriteLine(e.ToString());
            }
            else
            {
                cli.Error.WriteLine("(run with --debug for details, and please report this)");
            }
            return ExitCodes.Failure;
        }
    }

    private sealed class PrintVersionAction(CliContext cli) : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            cli.Out.WriteLine($"builder {Version}");
            return ExitCodes.Success;
        }
    }

    internal static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
