using System.Text;

namespace Builder.Snapshotter.Layers.Tar;

/// <summary>One entry read from a tar stream; <see cref="Data"/> is valid until the next entry is read.</summary>
internal sealed class TarEntry
{
    public required string Name { get; init; }
    public required byte Type { get; init; }
    public uint Mode { get; init; }
    public long Uid { get; init; }
    public long Gid { get; init; }
    public long Size { get; init; }
    public long MtimeSeconds { get; init; }
    public long MtimeNanos { get; init; }
    public string LinkName { get; init; } = "";
    public uint DevMajor { get; init; }
    public uint DevMinor { get; init; }
    public List<KeyValuePair<string, byte[]>> Xattrs { get; init; } = [];
    public Stream Data { get; internal set; } = Stream.Null;

    public bool IsRegular => Type is (byte)'0' or 0 or (byte)'7';
}

/// <summary>
/// A streaming tar reader (ustar, PAX 'x'/'g', GNU 'L'/'K' long names, base-256 numbers). Unlike
/// System.Formats.Tar it keeps PAX xattr values as raw bytes: security.capability is binary.
/// </summary>
internal sealed class TarStreamReader(Stream input)
{
    private const int MaxMetaSize = 1 << 20; // a PAX or GNU long-name record larger than this is an attack
    private readonly byte[] _header = new byte[512];
    private BoundedReadStream? _current;
    private long _pendingPadding;

    /// <summary>The next entry, or null at the end of the archive.</summary>
    public TarEntry? Next()
    {
        SkipRest();
        Dictionary<string, byte[]>? pax = null;
        string? longName = null, longLink = null;
        while (true)
        {
            if (!ReadBlock(_header))
            {
                return null;
            }
            if (_header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                return null; // zero block: end of archive
            }
            VerifyChecksum();
            var type = _header[156];
            var size = Number(124, 12);
            switch (type)
            {
                case (byte)'x':
                    pax = ParsePax(ReadMeta(size));
                    continue;
                case (byte)'g':
                    ReadMeta(size); // global headers carry nothing a layer needs
                    continue;
                case (byte)'L':
                    longName = CString(ReadMeta(size));
                    continue;
                case (byte)'K':
                    longLink = CString(ReadMeta(size));
                    continue;
            }
            var name = longName ?? UstarName();
            var link = longLink ?? CString(_header.AsSpan(157, 100));
            long uid = Number(108, 8), gid = Number(116, 8), mtime = Number(136, 12), nanos = 0;
            var xattrs = new List<KeyValuePair<string, byte[]>>();
            if (pax is not null)
            {
                foreach (var (key, value) in pax)
                {
                    switch (key)
                    {
                        case "path": name = Encoding.UTF8.GetString(value); break;
                        case "linkpath": link = Encoding.UTF8.GetString(value); break;
                        case "uid": uid = ParseLong(value, key); break;
                        case "gid": gid = ParseLong(value, key); break;
                        case "size": size = ParseLong(value, key); break;
                        case "mtime": (mtime, nanos) = ParseTime(value); break;
                        default:
                            if (key.StartsWith("SCHILY.xattr.", StringComparison.Ordinal))
                            {
                                xattrs.Add(new(key["SCHILY.xattr.".Length..], value));
                            }
                            break;
                    }
                }
            }
            if (size < 0)
            {
                throw new InvalidDataException($"tar entry '{name}' has a negative size");
            }
            var dataSize = type is (byte)'1' or (byte)'2' or (byte)'3' or (byte)'4' or (byte)'5' or (byte)'6' ? 0 : size;
            _current = new BoundedReadStream(input, dataSize);
            _pendingPadding = (512 - (dataSize % 512)) % 512;
            return new TarEntry
            {
                Name = name,
                Type = type,
                Mode = (uint)(Number(100, 8) & 0xFFF),
                Uid = uid,
                Gid = gid,
                Size = dataSize,
                MtimeSeconds = mtime,
                MtimeNanos = nanos,
                LinkName = link,
                DevMajor = (uint)Number(329, 8),
                DevMinor = (uint)Number(337, 8),
                Xattrs = xattrs,
                Data = _current,
            };
        }
    }

    /// <summary>Reads everything after the archive's end blocks (so a hash over the stream covers all of it).</summary>
    public void DrainTrailer()
    {
        SkipRest();
        var buf = new byte[65536];
        while (input.Read(buf) > 0)
        {
        }
    }

    private void SkipRest()
    {
        if (_current is not null)
        {
            _current.SkipToEnd();
            _current = null;
        }
        if (_pendingPadding > 0)
        {
            Span<byte> pad = stackalloc byte[512];
            input.ReadExactly(pad[..(int)_pendingPadding]);
            _pendingPadding = 0;
        }
    }

    private byte[] ReadMeta(long size)
    {
        if (size > MaxMetaSize)
        {
            throw new InvalidDataException($"tar metadata record of {size} bytes is larger than the {MaxMetaSize} allowed");
        }
        var data = new byte[size];
        input.ReadExactly(data);
        var pad = (int)((512 - (size % 512)) % 512);
        if (pad > 0)
        {
            input.ReadExactly(new byte[pad]);
        }
        return data;
    }

    private bool ReadBlock(byte[] block)
    {
        var read = 0;
        while (read < 512)
        {
            var n = input.Read(block, read, 512 - read);
            if (n == 0)
            {
                if (read == 0)
                {
                    return false;
                }
                throw new InvalidDataException("tar stream ends inside a header");
            }
            read += n;
        }
        return true;
    }

    private void VerifyChecksum()
    {
        long stored = Number(148, 8), sum = 0;
        for (var i = 0; i < 512; i++)
        {
            sum += i is >= 148 and < 156 ? (byte)' ' : _header[i];
        }
        if (sum != stored)
        {
            throw new InvalidDataException("tar header checksum mismatch: not a tar stream, or a corrupt one");
        }
    }

    private string UstarName()
    {
        var name = CString(_header.AsSpan(0, 100));
        var isUstar = _header.AsSpan(257, 5).SequenceEqual("ustar"u8);
        var prefix = isUstar ? CString(_header.AsSpan(345, 155)) : "";
        return prefix.Length > 0 ? prefix + "/" + name : name;
    }

    private long Number(int offset, int width)
    {
        var field = _header.AsSpan(offset, width);
        if ((field[0] & 0x80) != 0)
        {
            // GNU base-256: big-endian two's complement with the top bit as marker.
            long value = field[0] & 0x7F;
            for (var i = 1; i < width; i++)
            {
                value = (value << 8) | field[i];
            }
            return value;
        }
        long result = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0)
            {
                if (result != 0)
                {
                    break;
                }
                continue;
            }
            if (b is < (byte)'0' or > (byte)'7')
            {
                throw new InvalidDataException($"invalid octal number in tar header at offset {offset}");
            }
            result = (result << 3) + (b - '0');
        }
        return result;
    }

    private static Dictionary<string, byte[]> ParsePax(byte[] data)
    {
        var records = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var pos = 0;
        while (pos < data.Length)
        {
            var space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(data.AsSpan(pos, space - pos), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) || length <= 0 || pos + length > data.Length)
            {
                throw new InvalidDataException("malformed PAX record");
            }
            var record = data.AsSpan(space + 1, pos + length - space - 2); // without the trailing newline
            var eq = record.IndexOf((byte)'=');
            if (eq < 0)
            {
                throw new InvalidDataException("malformed PAX record: no '='");
            }
            records[Encoding.UTF8.GetString(record[..eq])] = record[(eq + 1)..].ToArray();
            pos += length;
        }
        return records;
    }

    private static long ParseLong(byte[] value, string key) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidDataException($"invalid PAX {key} value");

    private static (long Seconds, long Nanos) ParseTime(byte[] value)
    {
        var text = Encoding.ASCII.GetString(value);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var seconds = long.Parse(dot < 0 ? text : text[..dot], System.Globalization.CultureInfo.InvariantCulture);
        var nanos = 0L;
        if (dot >= 0)
        {
            var frac = (text[(dot + 1)..] + "000000000")[..9];
            nanos = long.Parse(frac, System.Globalization.CultureInfo.InvariantCulture);
        }
        return (seconds, nanos);
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }
}

/// <summary>Exposes exactly <c>length</c> bytes of the underlying stream.</summary>
internal sealed class BoundedReadStream(Stream inner, long length) : Stream
{
    private readonly long _length = length;
    private long _remaining = length;

    public void SkipToEnd()
    {
        var buf = new byte[Math.Min(_remaining, 1 << 16)];
        while (_remaining > 0)
        {
            var n = Read(buf, 0, (int)Math.Min(buf.Length, _remaining));
            if (n == 0)
            {
                throw new InvalidDataException("tar stream ends inside an entry's data");
            }
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0)
        {
            return 0;
        }
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        if (n == 0)
        {
            throw new InvalidDataException("tar stream ends inside an entry's data");
        }
        _remaining -= n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _length - _remaining; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
