using System.IO.Compression;
using System.Text;
using Builder.Snapshotter.Layers.Tar;

namespace Builder.Snapshotter.Tests.Support;

/// <summary>Builds tar archives entry by entry, including the malformed and malicious ones real tools refuse to write.</summary>
internal sealed class TarBuilder
{
    private readonly MemoryStream _buffer = new();
    private readonly DeterministicTarWriter _writer;

    public TarBuilder() => _writer = new DeterministicTarWriter(_buffer);

    public TarBuilder File(string name, string content = "", uint mode = 0x1A4, int uid = 0, int gid = 0)
    {
        var data = Encoding.UTF8.GetBytes(content);
        _writer.WriteHeader(new TarEntryHeader { Name = name, Type = TarEntryHeader.Regular, Mode = mode, Uid = uid, Gid = gid, Size = data.Length, MtimeSeconds = 1_600_000_000 });
        _buffer.Write(data);
        _writer.PadData(data.Length);
        return this;
    }

    public TarBuilder Dir(string name, uint mode = 0x1ED) => Header(name, TarEntryHeader.Directory, mode);

    public TarBuilder Symlink(string name, string target) => Header(name, TarEntryHeader.Symlink, 0x1FF, target);

    public TarBuilder Hardlink(string name, string target) => Header(name, TarEntryHeader.HardLink, 0x1A4, target);

    private TarBuilder Header(string name, byte type, uint mode, string link = "")
    {
        _writer.WriteHeader(new TarEntryHeader { Name = name, Type = type, Mode = mode, LinkName = link, MtimeSeconds = 1_600_000_000 });
        return this;
    }

    public byte[] Build()
    {
        _writer.Finish();
        return _buffer.ToArray();
    }

    public static byte[] Gzip(byte[] tar)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(tar);
        }
        return output.ToArray();
    }
}
