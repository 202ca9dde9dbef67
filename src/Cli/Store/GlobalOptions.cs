using System.CommandLine;

namespace Builder.Cli.Store;

/// <summary>Options valid before or after any command: where the data root is, which registries may use plain HTTP.</summary>
internal static class GlobalOptions
{
    public static Option<string?> Root { get; } = new("--root")
    {
        Description = "Data root: images, layers and build cache (default: $BUILDER_ROOT, else /var/lib/builder as root, else $XDG_DATA_HOME/builder or ~/.local/share/builder)",
        Recursive = true,
    };

    public static Option<string[]> InsecureRegistries { get; } = new("--insecure-registry")
    {
        Description = "Allow plain HTTP for this registry HOST[:PORT]; repeatable (localhost and 127.0.0.0/8 always may)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Adds the global options to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Root);
        root.Options.Add(InsecureRegistries);
    }
}
