using System.Security.Cryptography;

namespace Builder.Oci.Registry.Transport;

/// <summary>
/// Reads a blob body while hashing and counting it. Reading past the expected size, ending short of
/// it, a transport error mid-body, or a digest that differs at the end all throw
/// <see cref="BlobVerificationException"/> — so a caller that only commits after reading to the end
/// (temp file, then rename) can never commit bad content. Each read must make progress within the
/// stall timeout. Owns the HTTP response.
/// </summary>
internal sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly HttpResponseMessage _response;
    private readonly Descriptor _expected;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly TimeSpan _stallTimeout;
    private readonly Func<string, Exception?, BlobVerificationException> _error;
    private long _read;
    private bool _verified;

    internal VerifyingReadStream(Stream inner, HttpResponseMessage response, Descriptor expected, TimeSpan stallTimeout, Func<string, Exception?, BlobVerificationException> error)
    {
        _inner = inner;
        _response = response;
        _expected = expected;
        _stallTimeout = stallTimeout;
        _error = error;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _expected.Size;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_verified || buffer.Length == 0)
        {
            return 0;
        }
        using var timer = new StallTimer(_stallTimeout, cancellationToken);
        int n;
        try
        {
            // Ask for one byte more than remains, so a body longer than the descriptor is noticed.
            var remaining = _expected.Size - _read;
            var window = (int)Math.Min(buffer.Length, Math.Max(remaining + 1, 1));
            n = await _inner.ReadAsync(buffer[..window], timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (timer.HasFired)
        {
            throw _error($"no data for {_stallTimeout.TotalSeconds:0.#} s after {_read} of {_expected.Size} bytes (stalled)", new TimeoutException("stalled", e));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw _error($"the transfer broke after {_read} of {_expected.Size} bytes (truncated): {e.Message}", e);
        }
        if (n == 0)
        {
            if (_read != _expected.Size)
            {
                throw _error($"truncated: received {_read} of {_expected.Size} bytes", null);
            }
            var actual = Digest.FromSha256Bytes(_hash.GetHashAndReset());
            if (actual != _expected.Digest)
            {
                throw _error($"digest mismatch: expected {_expected.Digest}, received content with digest {actual}", null);
            }
            _verified = true;
            return 0;
        }
        _read += n;
        if (_read > _expected.Size)
        {
            throw _error($"wrong size: received more than the expected {_expected.Size} bytes", null);
        }
        _hash.AppendData(buffer.Span[..n]);
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _response.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
