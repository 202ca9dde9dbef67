using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Builder.TestSupport;

/// <summary>
/// A real distribution registry (Debian's docker-registry) on 127.0.0.1 with a free port and its storage
/// in a temp folder; optionally behind TLS with a CA generated here and htpasswd basic auth.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";
    public const string User = "builder";
    public const string Password = "s3cret-pass";

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private LocalRegistry(string directory, int port, bool secure, Process process)
    {
        Directory_ = directory;
        Host = $"127.0.0.1:{port}";
        IsSecure = secure;
        _process = process;
    }

    /// <summary>host:port</summary>
    public string Host { get; }

    public bool IsSecure { get; }

    /// <summary>A folder holding ca.crt, the CA that signed the server certificate (secure only).</summary>
    public string CaDirectory => Path.Combine(Directory_, "ca");

    public string StorageDirectory => Path.Combine(Directory_, "storage");

    private string Directory_ { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<LocalRegistry> StartAsync(bool secure)
    {
        var directory = Directory.CreateTempSubdirectory("builder-registry-").FullName;
        var port = FreePort();
        var config = new StringBuilder($"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {directory}/storage
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:{port}
            """);
        config.Append('\n');
        if (secure)
        {
            WriteCertificates(directory);
            await WriteHtpasswdAsync(Path.Combine(directory, "htpasswd"));
            config.Append($"""
                  tls:
                    certificate: {directory}/server.crt
                    key: {directory}/server.key
                auth:
                  htpasswd:
                    realm: builder-test
                    path: {directory}/htpasswd

                """);
        }
        File.WriteAllText(Path.Combine(directory, "config.yml"), config.ToString());
        var process = new Process
        {
            StartInfo = new ProcessStartInfo(Binary, ["serve", Path.Combine(directory, "config.yml")])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            },
        };
        process.Start();
        var registry = new LocalRegistry(directory, port, secure, process);
        process.ErrorDataReceived += (_, e) => registry.Append(e.Data);
        process.OutputDataReceived += (_, e) => registry.Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        await registry.WaitUntilReadyAsync();
        return registry;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var uri = new Uri($"{(IsSecure ? "https" : "http")}://{Host}/v2/");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited with {_process.ExitCode}:\n{Log}");
            }
            try
            {
                using var response = await http.GetAsync(uri);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"docker-registry on {Host} did not answer /v2/ within 30 s:\n{Log}");
            }
            await Task.Delay(50);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A CA and a server certificate for 127.0.0.1/localhost signed by it, as PEM files.</summary>
    private static void WriteCertificates(string directory)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=builder test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var server = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        Directory.CreateDirectory(Path.Combine(directory, "ca"));
        File.WriteAllText(Path.Combine(directory, "ca", "ca.crt"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.crt"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
    }

    private static async Task WriteHtpasswdAsync(string path)
    {
        var info = new ProcessStartInfo("htpasswd", ["-Bbn", User, Password])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start htpasswd");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"htpasswd exited with {process.ExitCode}: {await stderr}");
        }
        await File.WriteAllTextAsync(path, (await stdout).Trim() + "\n");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(Directory_, recursive: true);
        }
    }
}
