using Builder.Server.Client;
using Grpc.Core;

namespace Builder.Cli.Remote;

/// <summary>Runs a call against the build server and turns its failures into one clear paragraph and an exit code.</summary>
internal static class RemoteCalls
{
    public static async Task<int> RunAsync(CliContext cli, BuilderConnection connection, Func<Task<int>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            await cli.Error.WriteLineAsync("error: interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        catch (RpcException e)
        {
            await cli.Error.WriteLineAsync($"error: {Describe(connection, e)}").ConfigureAwait(false);
            return e.StatusCode == StatusCode.InvalidArgument ? ExitCodes.Usage : ExitCodes.Failure;
        }
    }

    public static string Describe(BuilderConnection connection, RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable when e.Status.DebugException is not null || e.Status.Detail.StartsWith("Error connecting", StringComparison.Ordinal) =>
            $"cannot reach the build server at {connection.Address}: {e.Status.DebugException?.Message ?? e.Status.Detail}",
        StatusCode.PermissionDenied => $"the build server at {connection.Address} refused the build: {e.Status.Detail}",
        _ => $"{e.Status.Detail} (build server {connection.Address}, {e.StatusCode})",
    };
}
