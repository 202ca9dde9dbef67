using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Builder.Engine;
using Builder.Server.Builds;
using Builder.Snapshotter;
using Builder.Solver.Scheduling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Builder.Server.Hosting;

/// <summary>
/// The build server: Kestrel serving our gRPC API and grpc.health.v1 over a unix socket (mode 0660,
/// optional group) and/or TCP (mutual TLS, or plain on loopback with <c>--insecure</c>), over one data
/// root and one solver. <see cref="DrainAsync"/> is the SIGTERM path.
/// </summary>
public sealed class BuilderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerState _state;

    private BuilderServer(WebApplication app, ServerState state)
    {
        _app = app;
        _state = state;
    }

    /// <summary>The build gate (running builds, draining).</summary>
    public BuildGate Gate => _state.Gate;

    /// <summary>Bytes of context file content received over all builds.</summary>
    public long ContextBytesReceived => Interlocked.Read(ref _state.ContextBytesReceived);

    /// <summary>Checks <paramref name="options"/> and prepares the server; throws <see cref="ServerConfigurationException"/> saying what is wrong.</summary>
    public static BuilderServer Create(ServerOptions options, DataRoot root, IExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(executor);
        if (options.Addresses.Count == 0)
        {
            throw new ServerConfigurationException("no address to listen on (--addr unix:///PATH or tcp://HOST:PORT)");
        }
        foreach (var entitlement in options.Allow)
        {
            if (!ServerOptions.KnownEntitlements.Contains(entitlement))
            {
                throw new ServerConfigurationException($"--allow {entitlement}: expected network.host or security.insecure");
            }
        }
        if (options.MaxConcurrentBuilds < 1)
        {
            throw new ServerConfigurationException("--max-concurrent-builds must be at least 1");
        }
        var tls = LoadTls(options);
        foreach (var address in options.Addresses.Where(a => !a.IsUnix))
        {
            if (tls is null && !options.Insecure)
            {
                throw new ServerConfigurationException($"{address}: TCP needs mutual TLS (--tlscert, --tlskey and --tlscacert); plain TCP is refused unless --insecure is given, and then only on loopback addresses");
            }
            if (tls is null && !address.ResolveAddresses().All(IPAddress.IsLoopback))
            {
                throw new ServerConfigurationException($"{address}: --insecure allows plain TCP only on loopback addresses (127.0.0.1, ::1, localhost)");
            }
        }

        var state = new ServerState(options, root, new BuildSolver(root, executor));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IHostLifetime, ManualLifetime>(); // signals are handled by the serve command (drain first)
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxMessageSize;
            grpc.MaxSendMessageSize = null;
            grpc.Interceptors.Add<ErrorInterceptor>();
        });
        builder.Services.AddGrpcHealthChecks().AddCheck("builder", () => state.Gate.IsDraining ? HealthCheckResult.Unhealthy("draining") : HealthCheckResult.Healthy());
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            foreach (var address in options.Addresses)
            {
                if (address.IsUnix)
                {
                    PrepareSocketPath(address.SocketPath!);
                    kestrel.ListenUnixSocket(address.SocketPath!, listen => listen.Protocols = HttpProtocols.Http2);
                    continue;
                }
                foreach (var ip in address.ResolveAddresses().Distinct())
                {
                    kestrel.Listen(ip, address.Port, listen =>
                    {
                        listen.Protocols = HttpProtocols.Http2;
                        if (tls is not null)
                        {
                            listen.UseHttps(new HttpsConnectionAdapterOptions
                            {
                                ServerCertificate = tls.Value.Certificate,
                                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                                ClientCertificateValidation = (certificate, _, _) => ChainsTo(certificate, tls.Value.Authority),
                            });
                        }
                    });
                }
            }
        });
        var app = builder.Build();
        app.MapGrpcService<BuilderService>();
        app.MapGrpcService<Debug.DebuggerService>();
        app.MapGrpcHealthChecksService();
        return new BuilderServer(app, state);
    }

    /// <summary>Starts listening; unix sockets get mode 0660 and the configured group.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The socket is created under the process umask (0022 here: no one else may write, so no one else
        // may connect) and narrowed or widened to 0660 right after; umask is process-wide, so it is left alone.
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        foreach (var address in _state.Options.Addresses.Where(a => a.IsUnix))
        {
            File.SetUnixFileMode(address.SocketPath!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            if (_state.Options.SocketGroup is { } group)
            {
                var gid = GroupId(group);
                if (lchown(address.SocketPath!, uint.MaxValue, gid) != 0)
                {
                    throw new ServerConfigurationException($"--group {group}: cannot give {address.SocketPath} to the group: {new System.ComponentModel.Win32Exception(Marshal.GetLastPInvokeError()).Message}");
                }
            }
        }
    }

    /// <summary>SIGTERM: no new builds; running ones finish, or are cancelled after the grace; then the listeners close.</summary>
    public async Task DrainAsync()
    {
        await _state.Gate.DrainAsync(_state.Options.ShutdownGrace).ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        foreach (var address in _state.Options.Addresses.Where(a => a.IsUnix))
        {
            File.Delete(address.SocketPath!);
        }
    }

    private static (X509Certificate2 Certificate, X509Certificate2 Authority)? LoadTls(ServerOptions options)
    {
        var given = new[] { options.TlsCertificate, options.TlsKey, options.TlsCaCertificate }.Count(v => v is not null);
        if (given == 0)
        {
            return null;
        }
        if (given != 3)
        {
            throw new ServerConfigurationException("mutual TLS needs all of --tlscert, --tlskey and --tlscacert");
        }
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(options.TlsCertificate!, options.TlsKey);
            var authority = X509CertificateLoader.LoadCertificateFromFile(options.TlsCaCertificate!);
            return (certificate, authority);
        }
        catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new ServerConfigurationException($"cannot load the TLS certificate, key or CA ({options.TlsCertificate}, {options.TlsKey}, {options.TlsCaCertificate}): {e.Message}");
        }
    }

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="authority"/> alone (the system's roots are not trusted here).</summary>
    internal static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.Thumbprint == authority.Thumbprint;
    }

    private static void PrepareSocketPath(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var info = new FileInfo(path);
        if (info.Exists || info.LinkTarget is not null)
        {
            if (!IsSocket(path))
            {
                throw new ServerConfigurationException($"{path} exists and is not a socket; refusing to replace it");
            }
            File.Delete(path); // a stale socket of an earlier server
        }
    }

    private static bool IsSocket(string path) =>
        Builder.Snapshotter.Context.FileStatus.TryLstat(path) is { Type: Builder.Snapshotter.Context.FileType.Socket };

    private static uint GroupId(string group)
    {
        if (uint.TryParse(group, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var numeric))
        {
            return numeric;
        }
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0] == group && uint.TryParse(fields[2], System.Globalization.CultureInfo.InvariantCulture, out var gid))
            {
                return gid;
            }
        }
        throw new ServerConfigurationException($"--group {group}: no such group in /etc/group");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    /// <summary>A host lifetime that leaves signals alone: <c>builder serve</c> drains on SIGTERM before stopping.</summary>
    private sealed class ManualLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The server's options are wrong or its listeners cannot be set up; the message says which.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
