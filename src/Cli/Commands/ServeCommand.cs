using System.CommandLine;
using System.Runtime.InteropServices;
using Builder.Cli.Remote;
using Builder.Cli.Store;
using Builder.Engine;
using Builder.Server.Hosting;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder serve</c>: the build server. Listens on a unix socket (default) and/or TCP with mutual TLS;
/// SIGTERM or SIGINT drains (no new builds, running ones finish or are cancelled after the grace).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var addresses = new Option<string[]>("--addr") { Description = $"Listen on unix:///PATH or tcp://HOST:PORT; repeatable (default: {ServerAddress.Default})", AllowMultipleArgumentsPerToken = false };
        var group = new Option<string?>("--group") { Description = "Group of the unix socket (mode 0660)" };
        var insecure = new Option<bool>("--insecure") { Description = "Allow plain TCP without TLS, on loopback addresses only" };
        var maxBuilds = new Option<int?>("--max-concurrent-builds") { Description = "Builds run at once; more wait in line (default: cores, at least 2)" };
        var allow = new Option<string[]>("--allow") { Description = "Entitlement builds may ask for: network.host, security.insecure; repeatable", AllowMultipleArgumentsPerToken = false };
        var grace = new Option<double?>("--shutdown-grace") { Description = "Seconds running builds may go on after SIGTERM before they are cancelled (default: 30)" };
        var maxContext = new Option<long?>("--max-context-size") { Description = "Largest build context in bytes (default: 8 GiB)" };
        var maxMessage = new Option<int?>("--max-message-size") { Description = "Largest message a client may send, in bytes (default: 16 MiB)" };
        var contextTtl = new Option<double?>("--context-ttl") { Description = "Days a client's context copy is kept without being used (default: 7)" };
        var command = new Command("serve", "Run the build server for remote clients (builder --host ...)")
        {
            addresses, group, insecure, maxBuilds, allow, grace, maxContext, maxMessage, contextTtl,
        };
        command.SetAction((result, cancellationToken) => StoreCommand.RunAsync(cli, async () =>
        {
            ServerOptions options;
            try
            {
                var given = result.GetValue(addresses) is { Length: > 0 } list ? list : [ServerAddress.Default];
                options = new ServerOptions
                {
                    Addresses = given.Select(ServerAddress.Parse).ToList(),
                    SocketGroup = result.GetValue(group),
                    TlsCertificate = result.GetValue(RemoteOptions.TlsCert),
                    TlsKey = result.GetValue(RemoteOptions.TlsKey),
                    TlsCaCertificate = result.GetValue(RemoteOptions.TlsCaCert),
                    Insecure = result.GetValue(insecure),
                    MaxConcurrentBuilds = result.GetValue(maxBuilds) ?? Math.Max(2, Environment.ProcessorCount),
                    Allow = (result.GetValue(allow) ?? []).ToHashSet(StringComparer.Ordinal),
                    ShutdownGrace = TimeSpan.FromSeconds(result.GetValue(grace) ?? 30),
                    MaxContextSize = result.GetValue(maxContext) ?? 8L << 30,
                    MaxMessageSize = result.GetValue(maxMessage) ?? 16 << 20,
                    ContextTtl = result.GetValue(contextTtl) is { } days ? TimeSpan.FromDays(days) : Server.Context.ContextCopyFolders.DefaultTtl,
                    InsecureRegistries = result.GetValue(GlobalOptions.InsecureRegistries) ?? [],
                };
            }
            catch (FormatException e)
            {
                throw new UsageException($"--addr {e.Message}");
            }

            using var session = StoreSession.Open(result);
            BuilderServer server;
            try
            {
                server = BuilderServer.Create(options, session.Root, Executors.Create());
                await server.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ServerConfigurationException e)
            {
                throw new UsageException(e.Message);
            }
            await using (server)
            {
                var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                void OnSignal(PosixSignalContext context)
                {
                    context.Cancel = true; // drain first, then exit
                    stop.TrySetResult();
                }
                using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
                using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
                await cli.Error.WriteLineAsync($"builder serve: listening on {string.Join(", ", options.Addresses)} (data root {session.Root.Path})").ConfigureAwait(false);
                await stop.Task.ConfigureAwait(false);
                await cli.Error.WriteLineAsync($"builder serve: draining ({server.Gate.Running} builds running, grace {options.ShutdownGrace.TotalSeconds:0}s)").ConfigureAwait(false);
                await server.DrainAsync().ConfigureAwait(false);
                await cli.Error.WriteLineAsync("builder serve: stopped").ConfigureAwait(false);
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
