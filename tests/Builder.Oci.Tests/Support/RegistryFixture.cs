using Builder.TestSupport;

[assembly: AssemblyFixture(typeof(Builder.Oci.Tests.Support.RegistryFixture))]

namespace Builder.Oci.Tests.Support;

/// <summary>
/// Two registries shared by all tests of the assembly, started lazily by the first test that needs
/// each: a plain one, and one with TLS (test CA) and htpasswd basic auth. Killed at the end.
/// </summary>
public sealed class RegistryFixture : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LocalRegistry? _plain;
    private LocalRegistry? _secure;

    public Task<LocalRegistry> PlainAsync() => GetAsync(secure: false);

    public Task<LocalRegistry> SecureAsync() => GetAsync(secure: true);

    private async Task<LocalRegistry> GetAsync(bool secure)
    {
        RequireTool(LocalRegistry.Binary, "docker-registry");
        if (secure)
        {
            RequireTool("/usr/bin/htpasswd", "apache2-utils");
        }
        await _gate.WaitAsync();
        try
        {
            if (secure)
            {
                return _secure ??= await LocalRegistry.StartAsync(secure: true);
            }
            return _plain ??= await LocalRegistry.StartAsync(secure: false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Skips (or under CI fails) when a Debian package the test needs is missing.</summary>
    public static void RequireTool(string path, string package) => Capabilities.RequireTool(path, package);

    public async ValueTask DisposeAsync()
    {
        if (_plain is not null)
        {
            await _plain.DisposeAsync();
        }
        if (_secure is not null)
        {
            await _secure.DisposeAsync();
        }
        _gate.Dispose();
    }
}
