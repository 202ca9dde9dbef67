using System.Security.Cryptography;
using Builder.Oci;
using Builder.Snapshotter.Content;
using Builder.Snapshotter.Tests.Support;

namespace Builder.Snapshotter.Tests.Content;

public sealed class ContentStoreTests : IDisposable
{
    private readonly TempDataRoot _temp = new(useOverlay: false);

    private ContentStore Store => _temp.Root.Content;

    public void Dispose() => _temp.Dispose();

    private static byte[] RandomBytes(int n)
    {
        var data = new byte[n];
        Random.Shared.NextBytes(data);
        return data;
    }

    private string TempDir => Path.Combine(_temp.Root.Path, "tmp");

    [Fact]
    public async Task Ingest_stores_blob_under_its_sha256_and_reads_it_back()
    {
        var data = RandomBytes(300_000);
        var info = await Store.IngestAsync(new MemoryStream(data), Digest.Sha256Of(data), data.Length, TestContext.Current.CancellationToken);
        Assert.Equal(Digest.Sha256Of(data), info.Digest);
        Assert.Equal(data.Length, info.Size);
        Assert.True(File.Exists(Path.Combine(_temp.Root.Path, "content/blobs/sha256", info.Digest.Hex)));
        using var read = Store.OpenRead(info.Digest);
        using var copy = new MemoryStream();
        read.CopyTo(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Empty(Directory.EnumerateFileSystemEntries(TempDir));
    }

    [Fact]
    public async Task Ingest_with_wrong_digest_or_size_stores_nothing()
    {
        var data = RandomBytes(10_000);
        var wrong = Digest.Sha256Of([1, 2, 3]);
        var e1 = await Assert.ThrowsAsync<InvalidDataException>(() => Store.IngestAsync(new MemoryStream(data), wrong, null, TestContext.Current.CancellationToken));
        Assert.Contains("digest mismatch", e1.Message, StringComparison.Ordinal);
        var e2 = await Assert.ThrowsAsync<InvalidDataException>(() => Store.IngestAsync(new MemoryStream(data), null, data.Length + 1, TestContext.Current.CancellationToken));
        Assert.Contains("size mismatch", e2.Message, StringComparison.Ordinal);
        Assert.False(Store.Exists(Digest.Sha256Of(data)));
        Assert.Empty(Store.List());
        Assert.Empty(Directory.EnumerateFileSystemEntries(TempDir));
    }

    [Fact]
    public async Task Concurrent_ingests_of_the_same_blob_are_safe()
    {
        var data = RandomBytes(4 << 20);
        var digest = Digest.Sha256Of(data);
        // Each ingest streams through a writer so they really overlap (no early "exists" return).
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await using var w = Store.OpenWriter();
            for (var off = 0; off < data.Length; off += 65536)
            {
                await w.WriteAsync(data.AsMemory(off, Math.Min(65536, data.Length - off)));
                await Task.Yield();
            }
            return w.Commit(digest, data.Length);
        })).ToArray();
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.Equal(digest, r.Digest));
        Assert.Single(Store.List());
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(Path.Combine(_temp.Root.Path, "content/blobs/sha256", digest.Hex))), SHA256.HashData(data));
        Assert.Empty(Directory.EnumerateFileSystemEntries(TempDir));
    }

    [Fact]
    public async Task Ranged_reads_return_exactly_the_range()
    {
        var data = RandomBytes(100_000);
        var info = await Store.IngestAsync(new MemoryStream(data), cancellationToken: TestContext.Current.CancellationToken);
        using (var r = Store.OpenRead(info.Digest, 1000, 5000))
        {
            var buf = new MemoryStream();
            r.CopyTo(buf);
            Assert.Equal(data.AsSpan(1000, 5000).ToArray(), buf.ToArray());
        }
        using (var r = Store.OpenRead(info.Digest, 99_990))
        {
            var buf = new MemoryStream();
            r.CopyTo(buf);
            Assert.Equal(data.AsSpan(99_990).ToArray(), buf.ToArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Store.OpenRead(info.Digest, 99_000, 2000));
        Assert.Throws<FileNotFoundException>(() => Store.OpenRead(Digest.Sha256Of([9])));
    }

    [Fact]
    public async Task Large_ingest_streams_without_buffering_the_blob()
    {
        const long size = 256L << 20;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var info = await Store.IngestAsync(new PatternStream(size), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(size, info.Size);
        using (var read = Store.OpenRead(info.Digest))
        {
            var buf = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = read.Read(buf)) > 0)
            {
                total += n;
            }
            Assert.Equal(size, total);
        }
        // Allocation on this thread stays far below the blob size (buffers only).
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 32L << 20, "ingest allocated a large share of the blob size");
    }

    [Fact]
    public void An_abandoned_writer_leaves_nothing_and_a_leftover_temp_is_removed_at_open()
    {
        using (var w = Store.OpenWriter())
        {
            w.Write(RandomBytes(1000));
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(TempDir));
        File.WriteAllBytes(Path.Combine(TempDir, "ingest-crashed"), RandomBytes(100));
        var root = _temp.Reopen();
        Assert.Equal(1, root.RemovedTempEntries);
        Assert.Empty(Directory.EnumerateFileSystemEntries(TempDir));
        Assert.Empty(root.Content.List());
    }

    [Fact]
    public void Digest_parse_validates()
    {
        Assert.Throws<FormatException>(() => Digest.Parse("sha256:abc"));
        Assert.Throws<FormatException>(() => Digest.Parse("md5:" + new string('a', 64)));
        Assert.Throws<FormatException>(() => Digest.Parse("sha256:" + new string('A', 64)));
        var d = Digest.Parse("sha256:" + new string('a', 64));
        Assert.Equal("sha256:" + new string('a', 64), d.ToString());
    }

    /// <summary>A non-seekable stream of <c>size</c> generated bytes.</summary>
    private sealed class PatternStream(long size) : Stream
    {
        private long _pos;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, size - _pos);
            for (var i = 0; i < n; i++)
            {
                buffer[offset + i] = (byte)((_pos + i) * 31 >> 3);
            }
            _pos += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
