using System.Text;

namespace Builder.Snapshotter.Layers.Tar;

/// <summary>
/// Writes tar (ustar, with a PAX 'x' header only when a field does not fit: long names or link names,
/// ids or sizes beyond octal, xattrs) so that the same entries always give the same bytes: empty
/// uname/gname, no atime/ctime, fixed PAX header name and ordering.
/// </summary>
internal sealed class DeterministicTarWriter(Stream output)
{
    private const long MaxOctal7 = 0x1FFFFF; // 7 octal digits
    private const long MaxOctal11 = 0x1FFFFFFFF; // 11 octal digits
    private readonly byte[] _block = new byte[512];
    private readonly byte[] _zeros = new byte[512];

    public void WriteHeader(TarEntryHeader h)
    {
        var name = Encoding.UTF8.GetBytes(h.Name);
        var link = Encoding.UTF8.GetBytes(h.LinkName);
        var pax = new List<(string Key, byte[] Value)>();
        if (name.Length > 100)
        {
            pax.Add(("path", name));
        }
        if (link.Length > 100)
        {
            pax.Add(("linkpath", link));
        }
        if (h.Uid > MaxOctal7)
        {
            pax.Add(("uid", Ascii(h.Uid)));
        }
        if (h.Gid > MaxOctal7)
        {
            pax.Add(("gid", Ascii(h.Gid)));
        }
        if (h.Size > MaxOctal11)
        {
            pax.Add(("size", Ascii(h.Size)));
        }
        foreach (var (key, value) in h.Xattrs.OrderBy(x => x.Key, StringComparer.Ordinal))
        {
            pax.Add(("SCHILY.xattr." + key, value));
        }
        if (pax.Count > 0)
        {
            WritePax(pax, h.MtimeSeconds);
        }
        Fill(name, link, h);
        output.Write(_block);
    }

    /// <summary>Pads the entry's data to the next 512-byte boundary.</summary>
    public void PadData(long size)
    {
        var rem = (int)(size % 512);
        if (rem != 0)
        {
            output.Write(_zeros, 0, 512 - rem);
        }
    }

    /// <summary>The two zero blocks that end an archive.</summary>
    public void Finish()
    {
        output.Write(_zeros);
        output.Write(_zeros);
    }

    private void WritePax(List<(string Key, byte[] Value)> records, long mtime)
    {
        using var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            // "<len> <key>=<value>\n" where len counts its own digits.
            var rest = Encoding.UTF8.GetByteCount(key) + value.Length + 3;
            var len = rest + Digits(rest);
            if (Digits(len) != Digits(rest))
            {
                len = rest + Digits(len);
            }
            body.Write(Encoding.ASCII.GetBytes(len.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + key + "="));
            body.Write(value);
            body.WriteByte((byte)'\n');
        }
        var header = new TarEntryHeader { Name = "././@PaxHeader", Type = (byte)'x', Mode = 0x1A4, Size = body.Length, MtimeSeconds = mtime };
        Fill(Encoding.ASCII.GetBytes(header.Name), [], header);
        output.Write(_block);
        body.Position = 0;
        body.CopyTo(output);
        PadData(body.Length);
    }

    private void Fill(byte[] name, byte[] link, TarEntryHeader h)
    {
        Array.Clear(_block);
        name.AsSpan(0, Math.Min(100, name.Length)).CopyTo(_block);
        Octal(100, 8, h.Mode & 0xFFF);
        Octal(108, 8, Math.Min(h.Uid, MaxOctal7));
        Octal(116, 8, Math.Min(h.Gid, MaxOctal7));
        Octal(124, 12, Math.Min(h.Size, MaxOctal11));
        Octal(136, 12, Math.Clamp(h.MtimeSeconds, 0, MaxOctal11));
        _block[156] = h.Type;
        link.AsSpan(0, Math.Min(100, link.Length)).CopyTo(_block.AsSpan(157));
        "ustar\0"u8.CopyTo(_block.AsSpan(257));
        "00"u8.CopyTo(_block.AsSpan(263));
        if (h.Type is TarEntryHeader.CharDevice or TarEntryHeader.BlockDevice)
        {
            Octal(329, 8, h.DevMajor);
            Octal(337, 8, h.DevMinor);
        }
        // Checksum: sum of the header bytes with the checksum field as spaces.
        _block.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in _block)
        {
            sum += b;
        }
        var text = Convert.ToString(sum, 8).PadLeft(6, '0');
        Encoding.ASCII.GetBytes(text, _block.AsSpan(148));
        _block[154] = 0;
        _block[155] = (byte)' ';
    }

    private void Octal(int offset, int width, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        Encoding.ASCII.GetBytes(text, _block.AsSpan(offset));
        _block[offset + width - 1] = 0;
    }

    private static byte[] Ascii(long v) => Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static int Digits(int v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
}
