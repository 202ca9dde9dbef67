using System.Text;
using Builder.Oci.Registry.Auth;

namespace Builder.Oci.Tests.Auth;

public sealed class CredentialTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("builder-creds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Auth(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public void Docker_config_auths_are_found_by_host_in_any_key_form()
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, $$"""
            {
              "auths": {
                "https://index.docker.io/v1/": { "auth": "{{Auth("hubuser", "hub:pass")}}" },
                "registry.example.com:5000": { "auth": "{{Auth("alice", "pw")}}" },
                "http://legacy.example.com/v2/": { "username": "bob", "password": "pw2" },
                "empty.example.com": { }
              },
              "credsStore": "desktop"
            }
            """);
        var config = new DockerConfigCredentials(path);
        Assert.Equal(new RegistryCredentials("hubuser", "hub:pass"), config.GetCredentials("docker.io"));
        Assert.Equal(new RegistryCredentials("hubuser", "hub:pass"), config.GetCredentials("registry-1.docker.io"));
        Assert.Equal(new RegistryCredentials("alice", "pw"), config.GetCredentials("registry.example.com:5000"));
        Assert.Null(config.GetCredentials("registry.example.com")); // another port is another host
        Assert.Equal(new RegistryCredentials("bob", "pw2"), config.GetCredentials("legacy.example.com"));
        Assert.Null(config.GetCredentials("empty.example.com"));
        Assert.Null(config.GetCredentials("other.example.com"));
        Assert.Null(new DockerConfigCredentials(Path.Combine(_dir, "missing.json")).GetCredentials("docker.io"));
    }

    [Fact]
    public void Broken_docker_config_names_the_file()
    {
        var path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, """{"auths":{"h":{"auth":"!!notbase64"}}}""");
        var error = Assert.Throws<InvalidDataException>(() => new DockerConfigCredentials(path).GetCredentials("h"));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Credential_store_saves_gets_and_removes_with_owner_only_permissions()
    {
        var path = Path.Combine(_dir, "builder", "auth.json");
        var store = new CredentialStore(path);
        Assert.Null(store.GetCredentials("r.example.com"));
        store.Save("https://r.example.com/v2/", new RegistryCredentials("u", "p:w"));
        store.Save("127.0.0.1:5000", new RegistryCredentials("x", "y"));
        Assert.Equal(new RegistryCredentials("u", "p:w"), store.GetCredentials("r.example.com"));
        Assert.Equal(new RegistryCredentials("x", "y"), new DockerConfigCredentials(path).GetCredentials("127.0.0.1:5000")); // same format as Docker's
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        Assert.True(store.Remove("r.example.com"));
        Assert.False(store.Remove("r.example.com"));
        Assert.Null(store.GetCredentials("r.example.com"));
        Assert.NotNull(store.GetCredentials("127.0.0.1:5000"));
        Assert.Equal(["auth.json"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        Assert.Throws<ArgumentException>(() => store.Save("h", new RegistryCredentials("a:b", "c")));
        Assert.DoesNotContain("p:w", new RegistryCredentials("u", "p:w").ToString());
    }

    [Fact]
    public void Chain_prefers_our_store_over_docker_config()
    {
        var store = new CredentialStore(Path.Combine(_dir, "auth.json"));
        var dockerPath = Path.Combine(_dir, "config.json");
        File.WriteAllText(dockerPath, "{\"auths\":{\"a.example\":{\"auth\":\"" + Auth("docker", "1") + "\"},\"b.example\":{\"auth\":\"" + Auth("docker", "2") + "\"}}}");
        store.Save("a.example", new RegistryCredentials("ours", "1"));
        var chain = new CredentialChain(store, new DockerConfigCredentials(dockerPath));
        Assert.Equal("ours", chain.GetCredentials("a.example")!.Username);
        Assert.Equal("docker", chain.GetCredentials("b.example")!.Username);
        Assert.Null(chain.GetCredentials("c.example"));
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "docker.io")]
    [InlineData("registry-1.docker.io", "docker.io")]
    [InlineData("HTTPS://Quay.IO", "quay.io")]
    [InlineData("localhost:5000/v2/", "localhost:5000")]
    public void Credential_keys_are_normalized(string input, string key) => Assert.Equal(key, RegistryHostNames.CredentialKey(input));

    [Fact]
    public void Challenges_parse_quoted_values_with_commas_and_escapes()
    {
        var bearer = AuthChallenge.Parse("Bearer", "realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\",error=\"insufficient_scope\"");
        Assert.True(bearer.IsBearer);
        Assert.Equal("https://auth.example/token", bearer.Realm);
        Assert.Equal("registry.example", bearer.Service);
        Assert.Equal("repository:a/b:pull,push", bearer.Scope);
        Assert.Equal("insufficient_scope", bearer.Parameters["ERROR"]);

        var odd = AuthChallenge.Parse("basic", " Realm = \"say \\\"hi\\\"\" , charset=UTF-8");
        Assert.True(odd.IsBasic);
        Assert.Equal("say \"hi\"", odd.Realm);
        Assert.Equal("UTF-8", odd.Parameters["charset"]);
        Assert.Empty(AuthChallenge.Parse("Bearer", null).Parameters);
    }
}

/// <summary>The default file locations follow DOCKER_CONFIG and BUILDER_CONFIG.</summary>
public sealed class DefaultCredentialLocationTests
{
    [Fact]
    public void Default_paths_follow_the_environment()
    {
        var dir = Directory.CreateTempSubdirectory("builder-creds-env-").FullName;
        var oldDocker = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        var oldBuilder = Environment.GetEnvironmentVariable("BUILDER_CONFIG");
        try
        {
            Environment.SetEnvironmentVariable("DOCKER_CONFIG", Path.Combine(dir, "docker"));
            Environment.SetEnvironmentVariable("BUILDER_CONFIG", Path.Combine(dir, "builder"));
            Assert.Equal(Path.Combine(dir, "docker", "config.json"), DockerConfigCredentials.Default().Path);
            Assert.Equal(Path.Combine(dir, "builder", "auth.json"), CredentialStore.Default().Path);
            Directory.CreateDirectory(Path.Combine(dir, "docker"));
            File.WriteAllText(Path.Combine(dir, "docker", "config.json"), """{"auths":{"d.example":{"auth":"ZDpw"}}}""");
            CredentialStore.Default().Save("b.example", new RegistryCredentials("b", "p"));
            var chain = CredentialChain.Default();
            Assert.Equal(new RegistryCredentials("d", "p"), chain.GetCredentials("d.example"));
            Assert.Equal(new RegistryCredentials("b", "p"), chain.GetCredentials("b.example"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_CONFIG", oldDocker);
            Environment.SetEnvironmentVariable("BUILDER_CONFIG", oldBuilder);
            Directory.Delete(dir, recursive: true);
        }
    }
}
