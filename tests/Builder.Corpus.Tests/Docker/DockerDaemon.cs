using System.Diagnostics;
using Builder.Corpus.Tests.Running;
using Builder.TestSupport;

namespace Builder.Corpus.Tests.Docker;

/// <summary>
/// A private Docker daemon (Debian's docker.io, BuildKit built in) for the differential test:
/// its own containerd, data root, exec root and socket under a temp folder, no bridge and no
/// iptables, so it touches nothing of the host's. Stopped (both processes) at dispose.
/// Talked to with /usr/bin/docker (20.10, which has BuildKit's -o without buildx), never the
/// `docker` first on PATH.
/// </summary>
public sealed class DockerDaemon : IAsyncLifetime
{
    public const string Client = "/usr/bin/docker";
    public const string Dockerd = "/usr/sbin/dockerd";
    public const string Containerd = "/usr/bin/containerd";

    private Process? _containerd;
    private Process? _dockerd;
    private string? _dir;

    public string Socket => Path.Combine(_dir!, "docker.sock");

    /// <summary>Why the daemon is not usable, or null when it is.</summary>
    public string? Failure { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (!Capabilities.IsRoot)
        {
            Failure = "dockerd needs root";
            return;
        }
        var missing = new[] { Client, Dockerd, Containerd }.Where(p => !File.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            Failure = $"{string.Join(", ", missing)} not installed (Debian package docker.io, listed in .ci/apt-packages)";
            return;
        }
        _dir = Directory.CreateTempSubdirectory("corpus-dockerd-").FullName;
        var ctd = Path.Combine(_dir, "containerd");
        Directory.CreateDirectory(ctd);
        var ctdSocket = Path.Combine(ctd, "containerd.sock");
        await File.WriteAllTextAsync(Path.Combine(ctd, "config.toml"), $"""
            version = 2
            root = "{ctd}/root"
            state = "{ctd}/state"
            [grpc]
              address = "{ctdSocket}"
            [ttrpc]
              address = "{ctdSocket}.ttrpc"
            """);
        _containerd = Start(Containerd, ["--config", Path.Combine(ctd, "config.toml")], Path.Combine(_dir, "containerd.log"));
        if (!await WaitAsync(() => File.Exists(ctdSocket), TimeSpan.FromSeconds(30)))
        {
            Failure = "containerd did not create its socket within 30 s:\n" + Tail(Path.Combine(_dir, "containerd.log"));
            return;
        }
        _dockerd = Start(Dockerd,
        [
            "--bridge=none", "--iptables=false", "--ip-masq=false", "--ip6tables=false",
            "--data-root", Path.Combine(_dir, "data"), "--exec-root", Path.Combine(_dir, "exec"),
            "--pidfile", Path.Combine(_dir, "dockerd.pid"), "-H", "unix://" + Socket,
            "--containerd", ctdSocket, "--containerd-namespace", "corpus", "--containerd-plugins-namespace", "corpus-plugins",
        ], Path.Combine(_dir, "dockerd.log"));
        var ready = await WaitAsync(() => File.Exists(Socket) && Run(["version", "--format", "{{.Server.Version}}"], TimeSpan.FromSeconds(10)).ExitCode == 0,
            TimeSpan.FromSeconds(60));
        if (!ready)
        {
            Failure = "dockerd did not answer within 60 s:\n" + Tail(Path.Combine(_dir, "dockerd.log"));
        }
    }

    /// <summary>Runs the docker client against this daemon with BuildKit on.</summary>
    public ProcessResult Run(IEnumerable<string> args, TimeSpan? timeout = null, IDictionary<string, string>? env = null)
    {
        var environment = new Dictionary<string, string>(env ?? new Dictionary<string, string>())
        {
            ["DOCKER_BUILDKIT"] = "1",
            ["DOCKER_CONFIG"] = Path.Combine(_dir!, "client-config"),
        };
        return ProcessRunner.Run(Client, ["-H", "unix://" + Socket, .. args], environment, timeout ?? TimeSpan.FromMinutes(5));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_dockerd);
        await StopAsync(_containerd);
        if (_dir is not null)
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A mount left by the daemon keeps its folder busy; the temp folder is disposable.
            }
        }
    }

    private static async Task StopAsync(Process? process)
    {
        if (process is null || process.HasExited)
        {
            return;
        }
        Kill(process.Id, 15);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }

    private static Process Start(string file, string[] args, string log)
    {
        // Through sh so the daemon's output goes to a file without a reader thread here.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$@\" >>" + Quote(log) + " 2>&1");
        info.ArgumentList.Add(file);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        process.StandardInput.Close();
        return process;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(200);
        }
        return condition();
    }

    private static string Tail(string file) =>
        File.Exists(file) ? string.Join('\n', File.ReadAllLines(file).TakeLast(30)) : "(no log)";

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
