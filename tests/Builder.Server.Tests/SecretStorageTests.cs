using System.Net;
using System.Net.Sockets;
using System.Text;
using Builder.TestSupport;

namespace Builder.Server.Tests;

/// <summary>
/// A secret a step mounts lives on a tmpfs of its own while the step runs, never in a file on the
/// server's disk: the data root is searched while the step that reads the secret is held running, and
/// again after the build.
/// </summary>
public sealed class SecretStorageTests
{
    [Fact]
    public async Task ASecretIsInMemoryOnly_WhileTheStepRuns_AndGoneAfter()
    {
        Capabilities.RequireRoot();
        var busybox = await BusyboxImage.ReferenceAsync();
        await using var server = await TestServer.StartAsync(o => o with { Allow = new HashSet<string> { "network.host" } });
        using var connection = server.Connect();
        var value = "tmpfs-only-" + Guid.NewGuid().ToString("N");
        // The step holds until the test opens a port: the search below happens while it runs, whatever the timing.
        using var release = new TcpListener(IPAddress.Loopback, 0);
        release.Start();
        var port = ((IPEndPoint)release.LocalEndpoint).Port;
        release.Stop();
        var dockerfile = $"FROM {busybox}\nRUN --network=host --mount=type=secret,id=token test -s /run/secrets/token && echo secret-mounted && until nc 127.0.0.1 {port} </dev/null; do sleep 0.2; done\n";
        var start = Builds.Start(dockerfile, "secret-tmpfs");
        start.SecretIds.Add("token");
        start.Allow.Add("network.host");
        var sink = new RecordingSink();
        var build = Builds.RunAsync(connection, start, Builds.TempContext(dockerfile), sink, new DictionarySecrets(new Dictionary<string, string> { ["token"] = value }),
            cancellationToken: TestContext.Current.CancellationToken);
        await sink.WaitForAsync(e => e is Solver.Progress.VertexLog l && Encoding.UTF8.GetString(l.Data.Span).Contains("secret-mounted"))
            .WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

        var memory = TmpfsMountsUnder(server.DataRootPath);
        Assert.Contains(memory, m => Path.GetFileName(m).StartsWith("secret-", StringComparison.Ordinal));
        var onTmpfs = memory.SelectMany(m => Directory.EnumerateFiles(m, "*", SearchOption.AllDirectories)).ToArray();
        Assert.Contains(onTmpfs, f => File.ReadAllText(f) == value);
        AssertNotOnDisk(server.DataRootPath, value, memory);

        using (var listener = new TcpListener(IPAddress.Loopback, port))
        {
            listener.Start();
            var accepting = AcceptUntilDoneAsync(listener, build);
            Builds.Succeeded(await build, sink);
            await accepting;
        }
        Assert.DoesNotContain(TmpfsMountsUnder(server.DataRootPath), m => Path.GetFileName(m).StartsWith("secret-", StringComparison.Ordinal));
        AssertNotOnDisk(server.DataRootPath, value, []);
    }

    private static async Task AcceptUntilDoneAsync(TcpListener listener, Task build)
    {
        while (!build.IsCompleted)
        {
            var accept = listener.AcceptSocketAsync(TestContext.Current.CancellationToken).AsTask();
            if (await Task.WhenAny(accept, build) == accept)
            {
                (await accept).Dispose();
            }
        }
    }

    /// <summary>Mount points of tmpfs file systems under <paramref name="root"/>, from this process's mount table.</summary>
    private static List<string> TmpfsMountsUnder(string root) =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4 && fields[Array.IndexOf(fields, "-") + 1] == "tmpfs")
            .Select(fields => fields[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(point => point.StartsWith(root + "/", StringComparison.Ordinal))
            .ToList();

    /// <summary>No file under <paramref name="root"/> outside <paramref name="memory"/> holds the value.</summary>
    private static void AssertNotOnDisk(string root, string value, IReadOnlyList<string> memory)
    {
        var needle = Encoding.UTF8.GetBytes(value);
        var searched = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            if (memory.Any(m => file.StartsWith(m + "/", StringComparison.Ordinal)) || file == Path.Combine(root, "lock"))
            {
                continue;
            }
            byte[] bytes;
            try
            {
                if (new FileInfo(file).LinkTarget is not null)
                {
                    continue;
                }
                bytes = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                continue; // removed by the running build meanwhile
            }
            catch (IOException)
            {
                continue; // not a regular file (a socket or fifo of the running step)
            }
            searched++;
            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"the secret was found on disk in {file}");
        }
        Assert.True(searched > 0, "nothing was searched");
    }
}
