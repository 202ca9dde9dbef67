namespace Builder.Snapshotter.Mounts;

/// <summary>
/// One mount to perform, in the form of mount(8): a type ("overlay" or "bind"), a source and options
/// ("lowerdir=...", "upperdir=...", "workdir=...", "ro", "rbind"). The engine or <see cref="MountedTree"/> performs it.
/// </summary>
public sealed record MountSpec(string Type, string Source, IReadOnlyList<string> Options)
{
    public bool IsReadOnly => Options.Contains("ro");
}
