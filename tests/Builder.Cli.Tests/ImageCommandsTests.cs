using System.Diagnostics;
using System.Text.Json;
using Builder.TestSupport;

namespace Builder.Cli.Tests;

/// <summary>images, tag, rmi, inspect and import, and their errors, run in-process against a data root of their own.</summary>
public sealed class ImageCommandsTests
{
    private static string Import(StoreCli cli, string name)
    {
        var result = cli.Run("import", cli.BusyboxRootfs(), name);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", result.Out);
        return result.Out.Trim();
    }

    [Fact]
    public void Import_makes_a_one_layer_image_that_images_and_inspect_show()
    {
        Capabilities.RequireRoot();
        using var cli = new StoreCli();
        var id = Import(cli, "app:1");

        var images = cli.Run("images");
        Assert.Equal(0, images.ExitCode);
        var lines = images.Out.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$", lines[0]);
        Assert.Matches($@"^app\s+1\s+{id[7..19]}\s+.*ago\s+[0-9.]+[kM]B$", lines[1]);
        Assert.Equal(id[7..19] + "\n", cli.Run("images", "-q").Out);

        var inspect = cli.Run("inspect", "app:1");
        Assert.Equal(0, inspect.ExitCode);
        using var json = JsonDocument.Parse(inspect.Out);
        var root = json.RootElement;
        Assert.Equal(id, root.GetProperty("id").GetString());
        Assert.Equal(["docker.io/library/app:1"], root.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        var manifestDigest = root.GetProperty("manifestDigest").GetString()!;
        Assert.StartsWith("sha256:", manifestDigest);
        var layer = Assert.Single(root.GetProperty("manifest").GetProperty("layers").EnumerateArray());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar", layer.GetProperty("mediaType").GetString());
        var config = root.GetProperty("config");
        // An uncompressed layer's digest is its diff id.
        Assert.Equal(layer.GetProperty("digest").GetString(), Assert.Single(config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray()).GetString());
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], config.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("linux", config.GetProperty("os").GetString());

        // By id prefix and by manifest digest too.
        Assert.Equal(id, JsonDocument.Parse(cli.Run("inspect", id[7..13]).Out).RootElement.GetProperty("id").GetString());
        Assert.Equal(id, JsonDocument.Parse(cli.Run("inspect", manifestDigest).Out).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public void Tag_and_rmi_behave_as_docker_does()
    {
        Capabilities.RequireRoot();
        using var cli = new StoreCli();
        var id = Import(cli, "app:1");
        Assert.Equal(0, cli.Run("tag", "app:1", "localhost:5000/team/app:2").ExitCode);

        var digests = cli.Run("images", "--digests").Out.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID", digests[0]);
        Assert.Equal(3, digests.Length);
        Assert.Contains(digests, l => l.StartsWith("localhost:5000/team/app ", StringComparison.Ordinal) && l.Contains(" sha256:", StringComparison.Ordinal));

        var byId = cli.Run("rmi", id[7..19]);
        Assert.Equal(1, byId.ExitCode);
        Assert.Contains("must be forced", byId.Error);

        var byName = cli.Run("rmi", "app:1");
        Assert.Equal(0, byName.ExitCode);
        Assert.Equal("Untagged: app:1\n", byName.Out);
        Assert.Equal(id[7..19] + "\n", cli.Run("images", "-q").Out);

        var last = cli.Run("rmi", "localhost:5000/team/app:2");
        Assert.Equal($"Untagged: localhost:5000/team/app:2\nDeleted: {id}\n", last.Out);
        Assert.Equal("", cli.Run("images", "-q").Out);

        var second = Import(cli, "app:1");
        cli.Run("tag", "app:1", "app:2");
        var forced = cli.Run("rmi", "-f", second[7..19]);
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.Equal($"Untagged: app:1\nUntagged: app:2\nDeleted: {second}\n", forced.Out);
        Assert.Equal("", cli.Run("images", "-q").Out);
    }

    [Theory]
    [InlineData(new[] { "inspect", "nosuch" }, "error: no such image: nosuch")]
    [InlineData(new[] { "tag", "nosuch", "other:1" }, "error: no such image: nosuch")]
    [InlineData(new[] { "rmi", "nosuch:2" }, "error: no such image: nosuch:2")]
    [InlineData(new[] { "save", "-o", "/dev/null", "nosuch" }, "error: no such image: nosuch")]
    [InlineData(new[] { "push", "nosuch" }, "error: no such image: nosuch")]
    [InlineData(new[] { "pull", "Bad::ref" }, "error: 'Bad::ref': invalid reference format")]
    [InlineData(new[] { "import", "/nonexistent/rootfs", "x:1" }, "error: cannot import /nonexistent/rootfs: no such file or directory")]
    [InlineData(new[] { "pull", "127.0.0.1:1/team/nothing:3.1" }, "error: cannot pull 127.0.0.1:1/team/nothing:3.1 from registry 127.0.0.1:1 (repository team/nothing, tag 3.1)")]
    public void Unknown_images_bad_references_and_registry_failures_are_one_error_line_and_exit_1(string[] args, string start)
    {
        using var cli = new StoreCli();
        var result = cli.Run(args);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(start, result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("rmi")]
    [InlineData("tag", "only-one")]
    [InlineData("images", "--bogus")]
    [InlineData("login", "registry.example.test")]
    [InlineData("pull", "--platform", "not/a/valid/platform/at/all", "busybox")]
    public void Usage_errors_exit_2(params string[] args)
    {
        using var cli = new StoreCli();
        Assert.Equal(2, cli.Run(args).ExitCode);
    }

    [Fact]
    public void Global_options_go_before_the_command_and_a_bad_root_is_an_error()
    {
        using var cli = new StoreCli();
        var insecure = cli.Run("--insecure-registry", "registry.example.test:5000", "--insecure-registry", "other.test", "images");
        Assert.Equal(0, insecure.ExitCode);
        Assert.StartsWith("REPOSITORY", insecure.Out);
        Assert.True(Directory.Exists(cli.Root));

        var file = Path.Combine(cli.Dir, "a-file");
        File.WriteAllText(file, "");
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(["--root", file, "images"], new CliContext(new StringReader(""), output, error));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: cannot open the data root {file}", error.ToString());
    }

    [Fact]
    public void Builder_root_from_the_environment_is_used_when_root_is_not_given()
    {
        using var cli = new StoreCli();
        Assert.Equal(cli.Root, Builder.Cli.Store.StoreSession.ResolveRoot(cli.Root));
        var previous = Environment.GetEnvironmentVariable("BUILDER_ROOT");
        try
        {
            Environment.SetEnvironmentVariable("BUILDER_ROOT", cli.Root);
            Assert.Equal(cli.Root, Builder.Cli.Store.StoreSession.ResolveRoot(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUILDER_ROOT", previous);
        }
    }

    [Fact]
    public void Login_saves_credentials_from_stdin_and_logout_removes_them()
    {
        using var cli = new StoreCli();
        var previous = Environment.GetEnvironmentVariable("BUILDER_CONFIG");
        var config = Path.Combine(cli.Dir, "config");
        try
        {
            Environment.SetEnvironmentVariable("BUILDER_CONFIG", config);
            var output = new StringWriter();
            var error = new StringWriter();
            var code = Program.Run(["login", "-u", "bob", "--password-stdin", "registry.example.test"], new CliContext(new StringReader("hunter2\n"), output, error));
            Assert.True(code == 0, error.ToString());
            var saved = new Oci.Registry.Auth.CredentialStore(Path.Combine(config, "auth.json")).GetCredentials("registry.example.test");
            Assert.Equal(new Oci.Registry.Auth.RegistryCredentials("bob", "hunter2"), saved);

            Assert.Equal(0, cli.Run("logout", "registry.example.test").ExitCode);
            Assert.Null(new Oci.Registry.Auth.CredentialStore(Path.Combine(config, "auth.json")).GetCredentials("registry.example.test"));
            var again = cli.Run("logout", "registry.example.test");
            Assert.Equal(1, again.ExitCode);
            Assert.StartsWith("error: not logged in to registry.example.test", again.Error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BUILDER_CONFIG", previous);
        }
    }
}
