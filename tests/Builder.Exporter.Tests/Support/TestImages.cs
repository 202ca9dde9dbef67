using Builder.Oci.Image;
using Builder.Snapshotter.Mounts;

namespace Builder.Exporter.Tests.Support;

/// <summary>Snapshots made in the test: a two-layer image whose second layer deletes a file (a whiteout).</summary>
public static class TestImages
{
    /// <summary>Prepares <paramref name="name"/> on <paramref name="parent"/>, runs <paramref name="change"/> on the mounted tree and commits.</summary>
    public static void Layer(TempDataRoot temp, string name, string? parent, Action<string> change)
    {
        var key = name + "-active";
        var target = temp.NewDir("mnt");
        using (MountedTree.Mount(temp.Root.Snapshots.Prepare(key, parent), target))
        {
            change(target);
        }
        Directory.Delete(target);
        temp.Root.Snapshots.Commit(name, key);
    }

    /// <summary>Commits "base" (etc/hello, etc/gone, bin/tool) and "top" (deletes etc/gone, adds app/data); returns their keys.</summary>
    public static IReadOnlyList<string> TwoLayers(TempDataRoot temp)
    {
        Layer(temp, "base", null, d =>
        {
            Directory.CreateDirectory(Path.Combine(d, "etc"));
            Directory.CreateDirectory(Path.Combine(d, "bin"));
            File.WriteAllText(Path.Combine(d, "etc/hello"), "hello\n");
            File.WriteAllText(Path.Combine(d, "etc/gone"), "to be deleted\n");
            File.WriteAllText(Path.Combine(d, "bin/tool"), "#!/bin/sh\necho tool\n");
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(Path.Combine(d, "bin/tool"), (UnixFileMode)0b111_101_101);
            }
        });
        Layer(temp, "top", "base", d =>
        {
            File.Delete(Path.Combine(d, "etc/gone"));
            Directory.CreateDirectory(Path.Combine(d, "app"));
            File.WriteAllText(Path.Combine(d, "app/data"), new string('x', 100_000));
        });
        return ["base", "top"];
    }

    /// <summary>A config as the frontend would leave it: history filled, one entry per layer plus an empty one.</summary>
    public static ImageConfig Config() => new()
    {
        Created = DateTimeOffset.UtcNow,
        Config = new ContainerConfig { Env = ["PATH=/usr/local/bin:/usr/bin:/bin", "A=x+y"], Cmd = ["/bin/tool"] },
        History =
        [
            new HistoryEntry { Created = DateTimeOffset.UtcNow, CreatedBy = "ADD base /" },
            new HistoryEntry { Created = DateTimeOffset.UtcNow, CreatedBy = "ENV A=x+y", EmptyLayer = true },
            new HistoryEntry { Created = DateTimeOffset.UtcNow, CreatedBy = "RUN rm /etc/gone && add app" },
        ],
    };
}
