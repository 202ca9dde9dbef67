using Builder.Snapshotter;

namespace Builder.Exporter.Tests.Support;

/// <summary>A fresh data root under /var/tmp (overlayfs works there), removed with its mounts when the test ends.</summary>
public sealed class TempDataRoot : IDisposable
{
    public TempDataRoot()
    {
        Dir = Path.Combine("/var/tmp", "builder-export-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
        Root = DataRoot.Open(Path.Combine(Dir, "root"));
    }

    public string Dir { get; }

    public DataRoot Root { get; }

    /// <summary>A new empty directory beside the data root.</summary>
    public string NewDir(string name)
    {
        var path = Path.Combine(Dir, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        Root.Dispose();
        foreach (var point in File.ReadAllLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4])
            .Where(p => p.StartsWith(Dir + "/", StringComparison.Ordinal))
            .OrderByDescending(p => p.Length))
        {
            Tools.Run($"umount -l '{point}'");
        }
        if (Directory.Exists(Dir))
        {
            new DirectoryInfo(Dir).Delete(recursive: true);
        }
    }
}
