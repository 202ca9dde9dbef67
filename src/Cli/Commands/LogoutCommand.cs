using System.CommandLine;
using Builder.Cli.Store;
using Builder.Oci.Registry.Auth;

namespace Builder.Cli.Commands;

/// <summary><c>builder logout REGISTRY</c>: forgets the credentials <c>builder login</c> saved for a registry.</summary>
internal static class LogoutCommand
{
    public static Command Create(CliContext cli)
    {
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port]" };
        var command = new Command("logout", "Remove saved credentials for a registry") { registry };
        command.SetAction((result, _) => StoreCommand.RunAsync(cli, async () =>
        {
            var host = result.GetValue(registry)!;
            var store = CredentialStore.Default();
            if (!store.Remove(host))
            {
                await cli.Error.WriteLineAsync($"error: not logged in to {host} (no credentials for it in {store.Path})").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            await cli.Out.WriteLineAsync($"Removed credentials for {host}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
