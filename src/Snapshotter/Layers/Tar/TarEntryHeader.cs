namespace Builder.Snapshotter.Layers.Tar;

/// <summary>The fields of one tar entry as the layer writer emits them.</summary>
internal sealed record TarEntryHeader
{
    public const byte Regular = (byte)'0';
    public const byte HardLink = (byte)'1';
    public const byte Symlink = (byte)'2';
    public const byte CharDevice = (byte)'3';
    public const byte BlockDevice = (byte)'4';
    public const byte Directory = (byte)'5';
    public const byte Fifo = (byte)'6';

    public required string Name { get; init; }
    public required byte Type { get; init; }
    public uint Mode { get; init; }
    public long Uid { get; init; }
    public long Gid { get; init; }
    public long Size { get; init; }
    public long MtimeSeconds { get; init; }
    public string LinkName { get; init; } = "";
    public uint DevMajor { get; init; }
    public uint DevMinor { get; init; }
    public IReadOnlyList<KeyValuePair<string, byte[]>> Xattrs { get; init; } = [];
}
