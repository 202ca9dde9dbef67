using System.CommandLine;
using Builder.Cli.Store;
using Builder.Oci.Registry.Auth;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder login [-u USER] [-p PASS | --password-stdin] REGISTRY</c>: saves credentials in builder's own
/// credentials file (read before ~/.docker/config.json); they are sent only to that registry.
/// </summary>
internal static class LoginCommand
{
    public static Command Create(CliContext cli)
    {
        var user = new Option<string?>("--username", "-u") { Description = "User name" };
        var password = new Option<string?>("--password", "-p") { Description = "Password (visible in the process list: prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var registry = new Argument<string>("REGISTRY") { Description = "Registry host[:port]" };
        var command = new Command("login", "Save credentials for a registry") { user, password, passwordStdin, registry };
        command.SetAction((result, _) => StoreCommand.RunAsync(cli, async () =>
        {
            var username = result.GetValue(user);
            if (string.IsNullOrEmpty(username))
            {
                throw new UsageException("login needs a user name: -u USER");
            }
            var secret = result.GetValue(password);
            if (result.GetValue(passwordStdin))
            {
                if (secret is not null)
                {
                    throw new UsageException("--password and --password-stdin are mutually exclusive");
                }
                secret = (await cli.In.ReadToEndAsync().ConfigureAwait(false)).TrimEnd('\r', '\n');
            }
            if (string.IsNullOrEmpty(secret))
            {
                throw new UsageException("login needs a password: -p PASSWORD or --password-stdin");
            }
            var host = result.GetValue(registry)!;
            var store = CredentialStore.Default();
            store.Save(host, new RegistryCredentials(username, secret));
            await cli.Out.WriteLineAsync($"Credentials for {host} saved in {store.Path}").ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }
}
