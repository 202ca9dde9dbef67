namespace Builder.TestSupport;

/// <summary>
/// One plain docker-registry on 127.0.0.1 per test process, started by the first test that asks
/// and killed when the process exits. Tests share it: give each test its own repository name.
/// </summary>
public static class SharedRegistry
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static LocalRegistry? _registry;

    /// <summary>The process-wide registry (skips, or under CI fails, when docker-registry is not installed).</summary>
    public static async Task<LocalRegistry> GetAsync()
    {
        Capabilities.RequireTool(LocalRegistry.Binary, "docker-registry");
        await Gate.WaitAsync();
        try
        {
            if (_registry is null)
            {
                var registry = await LocalRegistry.StartAsync(secure: false);
                // Test runners do not dispose statics; kill the registry with the process.
                AppDomain.CurrentDomain.ProcessExit += (_, _) => registry.DisposeAsync().AsTask().GetAwaiter().GetResult();
                _registry = registry;
            }
            return _registry;
        }
        finally
        {
            Gate.Release();
        }
    }
}
