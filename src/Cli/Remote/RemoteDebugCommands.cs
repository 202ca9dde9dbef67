using Builder.Build.Debug;
using Builder.Exporter.Archives;
using Builder.Server.Client;
using Builder.Server.Debug;
using Builder.Server.Protocol.Debugging;
using Grpc.Core;
using PathChange = Builder.Build.Debug.PathChange;

namespace Builder.Cli.Remote;

/// <summary>
/// <c>builder debug ls|diff|export</c> and <c>builder history</c> on a build server's store: the server answers
/// with the rows the local commands print, and the same printers write them.
/// </summary>
internal static class RemoteDebugCommands
{
    public static Debugger.DebuggerClient Client(BuilderConnection connection) => new(connection.Channel);

    public static Task<int> ListFailuresAsync(CliContext cli, BuilderConnection connection, bool withSizes, Func<IReadOnlyList<FailureListing>, Task<int>> write, CancellationToken cancellationToken) =>
        RunAsync(cli, connection, async () =>
        {
            var response = await Client(connection).ListFailuresAsync(new ListFailuresRequest { WithSizes = withSizes }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await write(response.Failures.Select(DebugWire.FromWire).ToList()).ConfigureAwait(false);
        });

    public static Task<int> ListBuildsAsync(CliContext cli, BuilderConnection connection, Func<IReadOnlyList<Solver.History.BuildRecord>, Task<int>> write, CancellationToken cancellationToken) =>
        RunAsync(cli, connection, async () =>
        {
            var response = await Client(connection).ListBuildsAsync(new ListBuildsRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return await write(response.Builds.Select(DebugWire.FromWire).ToList()).ConfigureAwait(false);
        });

    public static Task<int> HistoryAsync(CliContext cli, BuilderConnection connection, string? build, Func<BuildListing, Task<int>> write, CancellationToken cancellationToken) =>
        RunAsync(cli, connection, async () =>
        {
            var response = await Client(connection).HistoryAsync(new HistoryRequest { Build = build ?? "" }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await write(DebugWire.FromWire(response)).ConfigureAwait(false);
        });

    public static Task<int> DiffAsync(CliContext cli, BuilderConnection connection, Target target, Func<IEnumerable<(PathChange, string)>, Task<int>> write, CancellationToken cancellationToken) =>
        RunAsync(cli, connection, async () =>
        {
            var response = await Client(connection).DiffAsync(new DiffRequest { Target = target }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await write(response.Changes.Select(DebugWire.FromWire)).ConfigureAwait(false);
        });

    /// <summary>
    /// The state's tar streams from the server into <paramref name="dest"/>: <c>-</c> (standard output), FILE.tar (a
    /// temporary name renamed when complete) or a directory (absent or empty; the tar is unpacked into it as it arrives).
    /// </summary>
    public static Task<int> ExportAsync(CliContext cli, BuilderConnection connection, Target target, bool before, string dest, CancellationToken cancellationToken) =>
        RunAsync(cli, connection, async () =>
        {
            using var call = Client(connection).Export(new ExportRequest { Target = target, Before = before }, cancellationToken: cancellationToken);
            var chunks = call.ResponseStream;
            if (!await chunks.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new RpcException(new Status(StatusCode.Internal, "the server ended the export without sending anything"));
            }
            var label = chunks.Current.Label;
            await using var tar = new ExportChunkReader(chunks);
            if (dest == "-")
            {
                await cli.Out.FlushAsync(cancellationToken).ConfigureAwait(false);
                var stdout = cli.StdoutStream;
                await tar.CopyToAsync(stdout, cancellationToken).ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            if (dest.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
            {
                await OutputTarget.File(dest).WriteAsync((file, ct) => tar.CopyToAsync(file, ct), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await OutputTarget.File(dest).WriteDirectoryAsync((dir, ct) => TarDirectoryWriter.ExtractAsync(tar, dir, ct), cancellationToken).ConfigureAwait(false);
            }
            await cli.Error.WriteLineAsync($"exported {label}{(before ? " (before it ran)" : "")} to {dest}").ConfigureAwait(false);
            return ExitCodes.Success;
        });

    /// <summary>
    /// Runs a debug call: a target the server cannot find or enter prints the local command's own error line;
    /// a refusal (entitlements) names the server; the rest as every remote command reports them.
    /// </summary>
    public static Task<int> RunAsync(CliContext cli, BuilderConnection connection, Func<Task<int>> call) =>
        RemoteCalls.RunAsync(cli, connection, async () =>
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.Unimplemented)
            {
                await cli.Error.WriteLineAsync($"error: {e.Status.Detail}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.PermissionDenied)
            {
                await cli.Error.WriteLineAsync($"error: the build server at {connection.Address} refused: {e.Status.Detail}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (IOException e)
            {
                await cli.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
}
