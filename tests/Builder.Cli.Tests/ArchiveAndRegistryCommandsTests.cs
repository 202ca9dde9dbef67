using System.Diagnostics;
using System.Text.Json;
using Builder.TestSupport;

namespace Builder.Cli.Tests;

/// <summary>save, load, pull and push with skopeo and a real registry on the other side.</summary>
public sealed class ArchiveAndRegistryCommandsTests
{
    private static string Skopeo(string arguments)
    {
        Capabilities.RequireTool("/usr/bin/skopeo", "skopeo");
        var info = new ProcessStartInfo("skopeo") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"skopeo {arguments} exited {process.ExitCode}: {stderr.Result}");
    }

    [Fact]
    public void Save_writes_a_docker_archive_with_several_tags_that_skopeo_reads_and_load_reads_back()
    {
        Capabilities.RequireRoot();
        using var cli = new StoreCli();
        Assert.Equal(0, cli.Run("import", cli.BusyboxRootfs(), "app:1").ExitCode);
        Assert.Equal(0, cli.Run("tag", "app:1", "example.test/team/app:2").ExitCode);
        var archive = Path.Combine(cli.Dir, "app.tar");

        var save = cli.Run("save", "-o", archive, "app:1", "example.test/team/app:2");
        Assert.True(save.ExitCode == 0, save.Error);
        using (var inspect = JsonDocument.Parse(Skopeo($"inspect docker-archive:{archive}:example.test/team/app:2")))
        {
            Assert.Equal(1, inspect.RootElement.GetProperty("Layers").GetArrayLength());
        }
        var toStdout = cli.RunBinary(null, "save", "app:1", "example.test/team/app:2");
        Assert.Equal(0, toStdout.ExitCode);
        Assert.Equal(File.ReadAllBytes(archive), toStdout.Stdout);

        using var other = new StoreCli();
        var load = other.Run("load", "-i", archive);
        Assert.True(load.ExitCode == 0, load.Error);
        Assert.Equal("Loaded image: app:1\nLoaded image: example.test/team/app:2\n", load.Out);
        Assert.Equal(cli.Run("images", "-q").Out, other.Run("images", "-q").Out);

        using var third = new StoreCli();
        var fromStdin = third.RunBinary(File.ReadAllBytes(archive), "load");
        Assert.True(fromStdin.ExitCode == 0, fromStdin.Error);
        Assert.Contains("Loaded image: app:1", fromStdin.Out);
    }

    [Fact]
    public async Task Load_reads_an_archive_skopeo_wrote_from_the_registry()
    {
        Capabilities.RequireRoot();
        var reference = await BusyboxImage.ReferenceAsync();
        using var cli = new StoreCli();
        var archive = Path.Combine(cli.Dir, "skopeo.tar");
        Skopeo($"copy --src-tls-verify=false docker://{reference} docker-archive:{archive}:example.test/busybox:skopeo");

        var load = cli.Run("load", "-i", archive);
        Assert.True(load.ExitCode == 0, load.Error);
        Assert.Equal("Loaded image: example.test/busybox:skopeo\n", load.Out);
        using var inspect = JsonDocument.Parse(cli.Run("inspect", "example.test/busybox:skopeo").Out);
        Assert.Equal(["sh"], inspect.RootElement.GetProperty("config").GetProperty("config").GetProperty("Cmd").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Pull_then_push_to_another_repository_keeps_the_manifest_digest_and_skopeo_accepts_it()
    {
        Capabilities.RequireRoot();
        var reference = await BusyboxImage.ReferenceAsync();
        var registry = await SharedRegistry.GetAsync();
        using var cli = new StoreCli();

        var pull = cli.Run("pull", reference);
        Assert.True(pull.ExitCode == 0, pull.Error);
        using var inspect = JsonDocument.Parse(cli.Run("inspect", reference).Out);
        var digest = inspect.RootElement.GetProperty("manifestDigest").GetString()!;
        Assert.Contains(digest, pull.Out);

        var target = $"{registry.Host}/clipush/{Guid.NewGuid():N}:copy";
        var push = cli.Run("push", reference, target);
        Assert.True(push.ExitCode == 0, push.Error);
        Assert.Contains($"digest: {digest}", push.Out);
        using var remote = JsonDocument.Parse(Skopeo($"inspect --tls-verify=false docker://{target}"));
        Assert.Equal(digest, remote.RootElement.GetProperty("Digest").GetString());
    }

    [Fact]
    public async Task Pull_keeps_the_blobs_only_and_the_first_run_unpacks_the_layers()
    {
        Capabilities.RequireRoot();
        var reference = await BusyboxImage.ReferenceAsync();
        using var cli = new StoreCli();

        Assert.Equal(0, cli.Run("pull", reference).ExitCode);
        var snapshots = Path.Combine(cli.Root, "snapshots");
        Assert.False(Directory.Exists(snapshots) && Directory.EnumerateDirectories(snapshots).Any(), "a pull should not unpack");

        var run = cli.RunBinary(null, "run", "--rm", reference, "cat", "/etc/passwd");
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("root:", System.Text.Encoding.UTF8.GetString(run.Stdout), StringComparison.Ordinal);
        Assert.NotEmpty(Directory.EnumerateDirectories(snapshots));
    }

    [Fact]
    public async Task An_imported_image_pushed_goes_with_gzip_layers_and_pulls_back_into_another_root()
    {
        Capabilities.RequireRoot();
        var registry = await SharedRegistry.GetAsync();
        using var cli = new StoreCli();
        var target = $"{registry.Host}/imported/{Guid.NewGuid():N}:1";
        Assert.Equal(0, cli.Run("import", cli.BusyboxRootfs(), target).ExitCode);

        var push = cli.Run("push", target);
        Assert.True(push.ExitCode == 0, push.Error);
        using var raw = JsonDocument.Parse(Skopeo($"inspect --raw --tls-verify=false docker://{target}"));
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", raw.RootElement.GetProperty("layers")[0].GetProperty("mediaType").GetString());

        using var other = new StoreCli();
        Assert.Equal(0, other.Run("pull", target).ExitCode);
        Assert.Equal(cli.Run("images", "-q").Out, other.Run("images", "-q").Out);
    }
}
