using System.Text;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.Oci.References;
using Builder.TestSupport;

namespace Builder.Server.Tests;

/// <summary>
/// Registry credentials come from the client's own config, asked per registry during the build: the
/// server has none, pulls from and pushes to a registry with TLS and htpasswd basic auth, and keeps
/// nothing of them on its disk.
/// </summary>
public sealed class CredentialTests
{
    [Fact]
    public async Task PullAndPush_UseTheClientsDockerConfig_AndTheServerKeepsNoCredentials()
    {
        Capabilities.RequireRoot();
        Capabilities.RequireTool("/usr/bin/htpasswd", "apache2-utils");
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var registry = await LocalRegistry.StartAsync(secure: true);
        // TLS with the registry's own CA: the server skips verification for it; authentication is still basic auth.
        Func<Hosting.ServerOptions, Hosting.ServerOptions> trustRegistry = o => o with { InsecureRegistries = [registry.Host] };

        // The client's DOCKER_CONFIG: the only place the password is.
        var dockerConfig = Directory.CreateTempSubdirectory("builder-client-docker-config-").FullName;
        var configPath = Path.Combine(dockerConfig, "config.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalRegistry.User}:{LocalRegistry.Password}"));
        await File.WriteAllTextAsync(configPath, "{\"auths\":{\"" + registry.Host + "\":{\"auth\":\"" + auth + "\"}}}", TestContext.Current.CancellationToken);
        var clientCredentials = new DockerConfigCredentials(configPath);
        var pushed = $"{registry.Host}/remote-pushed:1";

        await using (var server = await TestServer.StartAsync(trustRegistry))
        {
            using var connection = server.Connect();
            var dockerfile = $"FROM {busybox}\nRUN echo built-on-the-server > /marker\n";
            var sink = new RecordingSink();
            var asked = new CountingCredentials(clientCredentials);
            var outcome = await RunAsync(connection, Builds.Start(dockerfile, "push", $"type=registry,name={pushed}"), Builds.TempContext(dockerfile), sink, asked);
            Builds.Succeeded(outcome, sink);
            Assert.Contains(registry.Host, asked.Hosts);
            AssertNoCredentials(server);
        }

        // The registry has it, behind its password.
        using (var check = new RegistryClient(new RegistryClientOptions { Credentials = clientCredentials, CaDirectory = registry.CaDirectory }))
        {
            var resolved = await check.ResolveImageAsync(ImageReference.Parse(pushed), Oci.Image.Platform.Host, TestContext.Current.CancellationToken);
            Assert.NotNull(resolved);
        }

        // A fresh server (an empty store) pulls the pushed image as a base, with the client's credentials only.
        var pullFile = $"FROM {pushed}\nRUN cat /marker\n";
        await using (var server = await TestServer.StartAsync(trustRegistry))
        {
            using var connection = server.Connect();
            // Without the client's answer the server has nothing to offer the registry.
            object anonymous;
            try
            {
                anonymous = await RunAsync(connection, Builds.Start(pullFile, "pull-anonymous"), Builds.TempContext(pullFile), new RecordingSink(), credentials: null);
            }
            catch (Grpc.Core.RpcException e)
            {
                anonymous = e;
            }
            Assert.IsNotType<Client.RemoteBuildSucceeded>(anonymous);

            var sink = new RecordingSink();
            Builds.Succeeded(await RunAsync(connection, Builds.Start(pullFile, "pull"), Builds.TempContext(pullFile), sink, clientCredentials), sink);
            Assert.Contains("built-on-the-server", sink.Logs);
            AssertNoCredentials(server);
        }
    }

    private static Task<Client.RemoteBuildOutcome> RunAsync(Client.BuilderConnection connection, Protocol.BuildStart start, string context, RecordingSink sink, ICredentialProvider? credentials) =>
        Client.RemoteBuild.RunAsync(connection.Client, start, context, [], new Client.RemoteBuildHandlers { Progress = sink, Credentials = credentials }, TestContext.Current.CancellationToken);

    /// <summary>Neither the password nor the base64 auth string is in any file under the server's folder.</summary>
    private static void AssertNoCredentials(TestServer server)
    {
        var needles = new[] { LocalRegistry.Password, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{LocalRegistry.User}:{LocalRegistry.Password}")) }
            .Select(Encoding.UTF8.GetBytes).ToArray();
        foreach (var file in Directory.EnumerateFiles(server.Directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var info = new FileInfo(file);
            if (info.LinkTarget is not null || file.EndsWith(".sock", StringComparison.Ordinal) || file == Path.Combine(server.DataRootPath, "lock"))
            {
                continue;
            }
            var bytes = File.ReadAllBytes(file);
            foreach (var needle in needles)
            {
                Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"registry credentials were found in {file}");
            }
        }
    }

    /// <summary>The client's provider, noting which registries the server asked about.</summary>
    private sealed class CountingCredentials(ICredentialProvider inner) : ICredentialProvider
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Hosts { get; } = [];

        public RegistryCredentials? GetCredentials(string host)
        {
            Hosts.Add(host);
            return inner.GetCredentials(host);
        }
    }
}
