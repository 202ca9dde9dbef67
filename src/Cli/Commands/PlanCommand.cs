using System.CommandLine;
using Builder.Cli.Output;
using Builder.Frontend;
using Builder.Frontend.Conversion;
using Builder.Frontend.DockerIgnore;
using Builder.Frontend.Parser;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder plan [-f FILE] [--target T] [--build-arg K=V]... [CONTEXT]</c>: prints the build
/// definition (ops, digests, image configs) without building anything.
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CliContext cli)
    {
        var file = new Option<string?>("--file", "-f") { Description = "Dockerfile (default: CONTEXT/Dockerfile; '-' reads standard input)" };
        var target = new Option<string?>("--target") { Description = "Stage to plan (default: the last stage)" };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set a build argument: K=V, or K to take the value from the environment", AllowMultipleArgumentsPerToken = false };
        var labels = new Option<string[]>("--label") { Description = "Add a label to the image: K=V" };
        var context = new Argument<string>("CONTEXT") { Description = "Build context directory", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var command = new Command("plan", "Print the build definition of a Dockerfile as JSON, without building") { file, target, buildArgs, labels, context };
        command.SetAction(async (result, cancellationToken) =>
        {
            var contextDir = result.GetValue(context) ?? ".";
            if (!Directory.Exists(contextDir))
            {
                throw new UsageException($"the build context {contextDir} is not a directory");
            }
            var source = DockerfileSource.Read(result.GetValue(file), contextDir, cli.In);
            var options = new ConvertOptions
            {
                DockerfileName = source.DisplayName,
                Target = result.GetValue(target),
                BuildArgs = KeyValueArguments.Parse(result.GetValue(buildArgs), "--build-arg", fromEnvironment: true),
                Labels = KeyValueArguments.Parse(result.GetValue(labels), "--label", fromEnvironment: false),
                ContextExcludes = DockerIgnoreLoader.Load(contextDir, source.Path),
            };
            try
            {
                var ast = DockerfileParser.Parse(source.Text);
                var conversion = await DockerfileConverter.ConvertAsync(ast, options, cancellationToken).ConfigureAwait(false);
                foreach (var warning in conversion.Warnings)
                {
                    DockerfileErrorPrinter.PrintWarning(cli.Error, source.DisplayName, warning);
                }
                using var buffer = new MemoryStream();
                PlanJsonWriter.Write(buffer, source.DisplayName, conversion);
                await cli.Out.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
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
