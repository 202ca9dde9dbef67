using System.CommandLine;
using Builder.Exporter.Store;
using Builder.Oci.Registry;
using Builder.Snapshotter;

namespace Builder.Cli.Store;

/// <summary>
/// The opened local store of one command: the data root (locked for this process), the image store, a
/// registry client honouring <c>--insecure-registry</c>, and the puller builds get base images from.
/// <c>builder build</c> and the image commands all open it the same way, from the global options.
/// </summary>
internal sealed class StoreSession : IDisposable
{
    private readonly Lazy<RegistryClient> _client;
    private readonly Lazy<ImagePuller> _puller;

    private StoreSession(DataRoot root, RegistryClientOptions registryOptions)
    {
        Root = root;
        Images = new ImageStore(root);
        RegistryOptions = registryOptions;
        _client = new Lazy<RegistryClient>(() => new RegistryClient(registryOptions));
        _puller = new Lazy<ImagePuller>(() => new ImagePuller(Images, Registry));
    }

    public DataRoot Root { get; }

    public ImageStore Images { get; }

    public RegistryClientOptions RegistryOptions { get; }

    /// <summary>The registry client (made on first use).</summary>
    public RegistryClient Registry => _client.Value;

    /// <summary>The <see cref="Builder.Solver.Sources.IImageSource"/> for builds, and <c>builder pull</c>.</summary>
    public ImagePuller Puller => _puller.Value;

    /// <summary>Opens the store the global options (<c>--root</c>, <c>--insecure-registry</c>) of <paramref name="parse"/> name.</summary>
    public static StoreSession Open(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return Open(parse.GetValue(GlobalOptions.Root), parse.GetValue(GlobalOptions.InsecureRegistries) ?? []);
    }

    /// <summary>Opens the data root (<paramref name="root"/>, else the default) with a client allowing plain HTTP for <paramref name="insecureRegistries"/>.</summary>
    public static StoreSession Open(string? root, IReadOnlyCollection<string> insecureRegistries)
    {
        ArgumentNullException.ThrowIfNull(insecureRegistries);
        var path = ResolveRoot(root);
        DataRoot dataRoot;
        try
        {
            dataRoot = DataRoot.Open(path, useOverlay: null, lockTimeout: TimeSpan.FromMinutes(30), waiting: message => Console.Error.WriteLine("builder: " + message));
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StoreUnavailableException($"cannot open the data root {path}: {e.Message} (choose another with --root or BUILDER_ROOT)");
        }
        catch (IOException e)
        {
            throw new StoreUnavailableException($"cannot open the data root {path}: {e.Message}");
        }
        return new StoreSession(dataRoot, new RegistryClientOptions
        {
            InsecureRegistries = insecureRegistries.ToArray(),
            SchemeCache = new RegistrySchemeCache(Path.Combine(path, "registry-schemes.json")),
        });
    }

    /// <summary>--root, else $BUILDER_ROOT, else /var/lib/builder for root, else $XDG_DATA_HOME/builder or ~/.local/share/builder.</summary>
    public static string ResolveRoot(string? root)
    {
        if (!string.IsNullOrEmpty(root))
        {
            return Path.GetFullPath(root);
        }
        var fromEnvironment = Environment.GetEnvironmentVariable("BUILDER_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }
        if (Environment.IsPrivilegedProcess)
        {
            return "/var/lib/builder";
        }
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return Path.Combine(string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg, "builder");
    }

    public void Dispose()
    {
        if (_puller.IsValueCreated)
        {
            _puller.Value.Dispose();
        }
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
        Root.Dispose();
    }
}

/// <summary>The data root cannot be opened (permissions, held by another process).</summary>
internal sealed class StoreUnavailableException(string message) : Exception(message);
