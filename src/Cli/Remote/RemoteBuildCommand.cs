using System.Security.Cryptography;
using System.Text;
using Builder.Cli.Build;
using Builder.Cli.Commands;
using Builder.Cli.Output;
using Builder.Cli.Progress;
using Builder.Exporter.Outputs;
using Builder.Frontend;
using Builder.Oci.Registry.Auth;
using Builder.Server.Client;
using Builder.Server.Protocol;

namespace Builder.Cli.Remote;

/// <summary>
/// <c>builder build</c> against a server: the same flags, checks, progress renderers, failure reports,
/// result files and exit codes as the embedded build; the context is synced, secrets and registry
/// credentials are answered from this machine, and docker/oci/tar/local outputs are written here.
/// </summary>
internal static class RemoteBuildCommand
{
    public static async Task<int> RunAsync(CliContext cli, BuilderConnection connection, BuildCommand.BuildRequestArguments request, CancellationToken cancellationToken)
    {
        DirectoryInfo? emptyContext = null;
        try
        {
            var contextDir = request.ContextArgument == "-"
                ? (emptyContext = Directory.CreateTempSubdirectory("builder-empty-context-")).FullName
                : Path.GetFullPath(request.ContextArgument);
            var (source, build, mode) = BuildCommand.Prepare(cli, request, contextDir);
            if (build.LocalContexts.Count > 0 || build.NamedContexts.Values.Any(v => v.StartsWith("oci-layout://", StringComparison.Ordinal)))
            {
                throw new UsageException("--build-context with a local folder or oci-layout:// is not supported with --host yet; use NAME=docker-image://REF");
            }
            var start = new BuildStart
            {
                DockerfileText = build.DockerfileText,
                DockerfileName = build.DockerfileName,
                ContextId = ContextId(contextDir),
                Target = build.Target ?? "",
                NoCache = build.NoCache,
                Pull = build.Pull,
                Network = request.Network ?? "",
                HasSourceDateEpoch = build.SourceDateEpoch is not null,
                SourceDateEpoch = build.SourceDateEpoch ?? 0,
                KeepFailedState = build.KeepFailedState,
            };
            start.Tags.Add(build.Tags);
            start.BuildArgs.Add(new Dictionary<string, string>(build.BuildArgs));
            start.Labels.Add(new Dictionary<string, string>(build.Labels));
            start.NoCacheFilter.Add(build.NoCacheFilter);
            start.Outputs.Add(request.Outputs);
            start.Allow.Add(build.Allow);
            start.NamedContexts.Add(new Dictionary<string, string>(build.NamedContexts));
            if (build.Secrets is SecretArguments secrets)
            {
                start.SecretIds.Add(secrets.Ids);
            }

            await using var output = ClientOutput.For(build.Outputs, cli);
            var isTerminal = ReferenceEquals(cli, CliContext.Console) && !Console.IsErrorRedirected;
            await using var renderer = ProgressRendererFactory.Create(mode, cli.Error, isTerminal);
            return await RemoteCalls.RunAsync(cli, connection, async () =>
            {
                RemoteBuildOutcome outcome;
                try
                {
                    outcome = await RemoteBuild.RunAsync(connection.Client, start, contextDir, build.ContextExcludes, new RemoteBuildHandlers
                    {
                        Progress = renderer,
                        Secrets = build.Secrets,
                        Credentials = CredentialChain.Default(),
                        Output = output?.Stream,
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A context file this side could not send (unreadable, or changed while it was sent).
                    await renderer.DisposeAsync().ConfigureAwait(false);
                    await cli.Error.WriteLineAsync($"error: sending the build context {contextDir}: {e.Message}").ConfigureAwait(false);
                    return ExitCodes.Failure;
                }
                switch (outcome)
                {
                    case RemoteBuildSucceeded succeeded:
                        if (output is not null)
                        {
                            await output.CompleteAsync().ConfigureAwait(false);
                        }
                        await renderer.FinishAsync(BuildOutcome.Succeeded).ConfigureAwait(false);
                        var image = succeeded.ImageId is null ? null : new ExportResult(succeeded.ManifestDigest, succeeded.ImageId, succeeded.ImageNames);
                        await BuildCommand.WriteResultFilesAsync(cli, request, image, cancellationToken).ConfigureAwait(false);
                        return ExitCodes.Success;
                    case RemoteStepFailed failed:
                        await renderer.FinishAsync(BuildOutcome.Failed(failed.Failure, failed.StepName)).ConfigureAwait(false);
                        return ExitCodes.Failure;
                    case RemoteDockerfileError error:
                        await renderer.DisposeAsync().ConfigureAwait(false);
                        DockerfileErrorPrinter.PrintError(cli.Error, source.DisplayName, source.Text, new DockerfileException(error.Message, error.StartLine, error.EndLine));
                        return ExitCodes.Failure;
                    default:
                        await renderer.FinishAsync(BuildOutcome.Canceled).ConfigureAwait(false);
                        return ExitCodes.Interrupted;
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            emptyContext?.Delete(recursive: true);
        }
    }

    /// <summary>Names this machine's context folder, so the server compares against its copy of the same folder.</summary>
    private static string ContextId(string contextDir) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Environment.MachineName + "\0" + contextDir)))[..32];
}
