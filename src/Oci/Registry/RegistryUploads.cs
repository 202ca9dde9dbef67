using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Builder.Oci.Registry.Auth;
using Builder.Oci.Registry.Transport;

namespace Builder.Oci.Registry;

/// <summary>How <see cref="RegistryUploads.PushAsync(Descriptor, Stream, BlobPushOptions?, CancellationToken)"/> got the blob into the repository.</summary>
public enum BlobPushOutcome
{
    /// <summary>The repository already had it (HEAD); nothing was sent.</summary>
    AlreadyExists,

    /// <summary>The registry linked it from another repository (cross-repository mount); nothing was sent.</summary>
    Mounted,

    /// <summary>The content was uploaded.</summary>
    Uploaded,
}

/// <summary>Options of one blob push.</summary>
public sealed record BlobPushOptions
{
    /// <summary>Repositories of the same registry that may hold the blob: tried as cross-repository mounts first.</summary>
    public IReadOnlyList<string> MountFrom { get; init; } = [];

    /// <summary>Overrides <see cref="RegistryClientOptions.ChunkSize"/> for this push.</summary>
    public long? ChunkSize { get; init; }
}

/// <summary>
/// Blob uploads of one repository (distribution spec "push"): existence check, cross-repository
/// mount, then a monolithic PUT or a chunked PATCH sequence closed by a PUT with the digest.
/// </summary>
public sealed class RegistryUploads
{
    /// <summary>
    /// The size of each read from the source and write to the connection. A layer then goes out in about one
    /// send call per megabyte (64 KB buffers made 960 of them for a 63 MB layer), without buffering the blob.
    /// </summary>
    private const int UploadBufferSize = 1 << 20;

    private readonly RegistryRepository _repository;

    internal RegistryUploads(RegistryRepository repository) => _repository = repository;

    /// <summary>Pushes an in-memory blob (a config or other small JSON document).</summary>
    public async Task<(Descriptor Descriptor, BlobPushOutcome Outcome)> PushAsync(string mediaType, ReadOnlyMemory<byte> content, BlobPushOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        var descriptor = new Descriptor(mediaType, Digest.Sha256Of(content.Span), content.Length);
        await using var stream = new MemoryStream(content.ToArray(), writable: false);
        var outcome = await PushAsync(descriptor, stream, options, cancellationToken).ConfigureAwait(false);
        return (descriptor, outcome);
    }

    /// <summary>
    /// Pushes the blob <paramref name="descriptor"/> describes, reading it from <paramref name="content"/>
    /// (exactly <see cref="Descriptor.Size"/> bytes from its current position). Skips the upload when the
    /// repository has the blob or can mount it. A seekable source is retried from the start after a
    /// transient failure. The content is hashed as it is sent; a mismatch with the descriptor fails
    /// before the upload is committed.
    /// </summary>
    public async Task<BlobPushOutcome> PushAsync(Descriptor descriptor, Stream content, BlobPushOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(content);
        if (!content.CanRead)
        {
            throw new ArgumentException("the content stream must be readable", nameof(content));
        }
        if (descriptor.Size < 0)
        {
            throw new ArgumentException($"the descriptor of {descriptor.Digest} has a negative size ({descriptor.Size})", nameof(descriptor));
        }
        options ??= new BlobPushOptions();
        if (options.ChunkSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ChunkSize, "ChunkSize must be positive");
        }
        if (await _repository.Blobs.StatAsync(descriptor.Digest, [AuthScopes.PullPush(_repository.Name)], cancellationToken).ConfigureAwait(false) is not null)
        {
            return BlobPushOutcome.AlreadyExists;
        }
        var start = content.CanSeek ? content.Position : 0;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await PushOnceAsync(descriptor, content, options, cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (e.IsTransient && content.CanSeek && attempt < _repository.Client.Options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(_repository.Client.RetryDelay(attempt, null), cancellationToken).ConfigureAwait(false);
                content.Position = start;
            }
        }
    }

    private async Task<BlobPushOutcome> PushOnceAsync(Descriptor descriptor, Stream content, BlobPushOptions options, CancellationToken cancellationToken)
    {
        var operation = $"push blob {descriptor.Digest} to";
        Uri? location = null;
        foreach (var source in options.MountFrom.Where(s => s != _repository.Name).Distinct())
        {
            using var mount = await _repository.SendAsync($"mount blob {descriptor.Digest} from {source} into", (b, _) => new HttpRequestMessage(HttpMethod.Post,
                    _repository.ApiUri(b, $"blobs/uploads/?mount={descriptor.Digest}&from={Uri.EscapeDataString(source)}")) { Content = EmptyContent() },
                [AuthScopes.PullPush(_repository.Name), AuthScopes.Pull(source)], retry: true, cancellationToken).ConfigureAwait(false);
            if (mount.StatusCode == HttpStatusCode.Created)
            {
                return BlobPushOutcome.Mounted;
            }
            if (mount.StatusCode == HttpStatusCode.Accepted)
            {
                // The registry could not mount and opened an ordinary upload session instead.
                location = UploadLocation(mount, operation);
                break;
            }
            // Any other answer (e.g. no pull access to the source): fall back to uploading.
        }
        if (location is null)
        {
            using var start = await _repository.SendAsync(operation, (b, _) => new HttpRequestMessage(HttpMethod.Post, _repository.ApiUri(b, "blobs/uploads/")) { Content = EmptyContent() },
                [AuthScopes.PullPush(_repository.Name)], retry: true, cancellationToken).ConfigureAwait(false);
            if (start.StatusCode != HttpStatusCode.Accepted)
            {
                throw await Failure($"start upload of blob {descriptor.Digest} to", start, cancellationToken).ConfigureAwait(false);
            }
            location = UploadLocation(start, operation);
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunkSize = options.ChunkSize ?? _repository.Client.Options.ChunkSize;
        try
        {
            if (chunkSize is { } size && descriptor.Size > size)
            {
                location = await UploadChunksAsync(descriptor, content, location, size, hash, operation, cancellationToken).ConfigureAwait(false);
                CheckSentDigest(descriptor, hash, operation);
                await CompleteAsync(descriptor, location, null, null, operation, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await CompleteAsync(descriptor, location, content, hash, operation, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            await CancelUploadAsync(location).ConfigureAwait(false);
            throw;
        }
        return BlobPushOutcome.Uploaded;
    }

    private async Task<Uri> UploadChunksAsync(Descriptor descriptor, Stream content, Uri location, long chunkSize, IncrementalHash hash, string operation, CancellationToken cancellationToken)
    {
        for (long offset = 0; offset < descriptor.Size; offset += chunkSize)
        {
            var length = Math.Min(chunkSize, descriptor.Size - offset);
            var current = location;
            ProgressReadStream? body = null;
            using var response = await _repository.SendAsync($"upload chunk at {offset} of blob {descriptor.Digest} to", (_, timer) =>
            {
                body = new ProgressReadStream(content, length, hash, timer, read => SourceEnded(operation, offset + read, descriptor.Size));
                var request = new HttpRequestMessage(HttpMethod.Patch, current) { Content = new StreamContent(body, UploadBufferSize) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.ContentLength = length;
                request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
                return request;
            }, [AuthScopes.PullPush(_repository.Name)], retry: false, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw await Failure($"upload chunk at {offset} of blob {descriptor.Digest} to", response, cancellationToken).ConfigureAwait(false);
            }
            if (body!.BytesRead != length)
            {
                throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the source ended after {offset + body.BytesRead} of {descriptor.Size} bytes");
            }
            location = UploadLocation(response, operation);
        }
        return location;
    }

    /// <summary>The closing PUT with the digest; carries the whole blob for a monolithic upload.</summary>
    private async Task CompleteAsync(Descriptor descriptor, Uri location, Stream? content, IncrementalHash? hash, string operation, CancellationToken cancellationToken)
    {
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        var target = new Uri(location + separator + "digest=" + Uri.EscapeDataString(descriptor.Digest.ToString()));
        ProgressReadStream? body = null;
        using var response = await _repository.SendAsync(operation, (_, timer) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, target);
            if (content is null)
            {
                request.Content = EmptyContent();
            }
            else
            {
                body = new ProgressReadStream(content, descriptor.Size, hash!, timer, read => SourceEnded(operation, read, descriptor.Size));
                request.Content = new StreamContent(body, UploadBufferSize);
                request.Content.Headers.ContentLength = descriptor.Size;
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            }
            return request;
        }, [AuthScopes.PullPush(_repository.Name)], retry: content is null, cancellationToken).ConfigureAwait(false);
        if (body is not null && body.BytesRead != descriptor.Size)
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the source ended after {body.BytesRead} of {descriptor.Size} bytes");
        }
        if (hash is not null)
        {
            CheckSentDigest(descriptor, hash, operation);
        }
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await Failure(operation, response, cancellationToken).ConfigureAwait(false);
        }
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } reported
            && reported != descriptor.Digest.ToString())
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the registry stored digest {reported}, expected {descriptor.Digest}");
        }
    }

    private RegistryException SourceEnded(string operation, long read, long size) =>
        new(operation, _repository.Registry, _repository.Name, $"the source ended after {read} of {size} bytes");

    private void CheckSentDigest(Descriptor descriptor, IncrementalHash hash, string operation)
    {
        var sent = Digest.FromSha256Bytes(hash.GetHashAndReset());
        if (sent != descriptor.Digest)
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the source content has digest {sent}, not the descriptor's {descriptor.Digest}");
        }
    }

    /// <summary>Best effort: tells the registry to drop an abandoned upload session.</summary>
    private async Task CancelUploadAsync(Uri location)
    {
        try
        {
            using var response = await _repository.SendAsync("cancel upload in", (_, _) => new HttpRequestMessage(HttpMethod.Delete, location),
                [AuthScopes.PullPush(_repository.Name)], retry: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RegistryException)
        {
            // The registry expires abandoned sessions itself.
        }
    }

    private Uri UploadLocation(HttpResponseMessage response, string operation)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException(operation, _repository.Registry, _repository.Name, "the registry sent no upload Location", response.StatusCode);
        return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location);
    }

    private Task<RegistryException> Failure(string operation, HttpResponseMessage response, CancellationToken cancellationToken) =>
        RegistryException.FromResponseAsync(operation, _repository.Registry, _repository.Name, response, cancellationToken);

    private static ByteArrayContent EmptyContent()
    {
        var content = new ByteArrayContent([]);
        content.Headers.ContentLength = 0;
        return content;
    }
}
