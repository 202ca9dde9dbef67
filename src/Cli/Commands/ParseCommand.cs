using System.CommandLine;
using Builder.Cli.Output;
using Builder.Frontend;
using Builder.Frontend.Parser;

namespace Builder.Cli.Commands;

/// <summary><c>builder parse [-f FILE | FILE] [--dump]</c>: shows how the Dockerfile parses.</summary>
internal static class ParseCommand
{
    public static Command Create(CliContext cli)
    {
        var file = new Option<string?>("--file", "-f") { Description = "Dockerfile to parse ('-' reads standard input)" };
        var positional = new Argument<string?>("FILE") { Description = "Dockerfile to parse (same as -f)", Arity = ArgumentArity.ZeroOrOne };
        var dump = new Option<bool>("--dump") { Description = "Print one s-expression per instruction (BuildKit's parser test format)" };
        var command = new Command("parse", "Parse a Dockerfile and print its instructions") { file, dump, positional };
        command.SetAction(result =>
        {
            var fileValue = result.GetValue(file);
            var positionalValue = result.GetValue(positional);
            if (fileValue is not null && positionalValue is not null)
            {
                throw new UsageException("give the Dockerfile either with -f or as an argument, not both");
            }
            var source = DockerfileSource.Read(fileValue ?? positionalValue ?? "Dockerfile", ".", cli.In);
            try
            {
                var ast = DockerfileParser.Parse(source.Text);
                foreach (var warning in ast.Warnings)
                {
                    DockerfileErrorPrinter.PrintWarning(cli.Error, source.DisplayName, warning);
                }
                if (result.GetValue(dump))
                {
                    cli.Out.Write(ast.Dump());
                }
                else
                {
                    using var buffer = new MemoryStream();
                    AstJsonWriter.Write(buffer, ast);
                    cli.Out.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
                }
                return ExitCodes.Success;
            }
            catch (DockerfileException e)
            {
                DockerfileErrorPrinter.PrintError(cli.Error, source.DisplayName, source.Text, e);
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
