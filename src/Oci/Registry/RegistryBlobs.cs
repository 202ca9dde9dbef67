using System.Net;
using Builder.Oci.Registry.Auth;
using Builder.Oci.Registry.Transport;

namespace Builder.Oci.Registry;

/// <summary>Blob reads of one repository: existence (HEAD), streaming download with verification.</summary>
public sealed class RegistryBlobs
{
    private readonly RegistryRepository _repository;

    internal RegistryBlobs(RegistryRepository repository) => _repository = repository;

    /// <summary>The blob's size and digest as the registry reports them (HEAD), or null when it does not have it.</summary>
    public Task<Descriptor?> StatAsync(Digest digest, CancellationToken cancellationToken = default) =>
        StatAsync(digest, [AuthScopes.Pull(_repository.Name)], cancellationToken);

    /// <summary>HEAD with the token scopes of the caller (a push asks for pull and push at once, saving a token round trip).</summary>
    internal async Task<Descriptor?> StatAsync(Digest digest, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var operation = $"check blob {digest} in";
        using var response = await _repository.SendAsync(operation,
            (b, _) => new HttpRequestMessage(HttpMethod.Head, _repository.ApiUri(b, $"blobs/{digest}")),
            scopes, retry: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryException.FromResponseAsync(operation, _repository.Registry, _repository.Name, response, cancellationToken).ConfigureAwait(false);
        }
        return new Descriptor("application/octet-stream", digest, response.Content.Headers.ContentLength ?? -1);
    }

    /// <summary>True when the registry has the blob in this repository.</summary>
    public async Task<bool> ExistsAsync(Digest digest, CancellationToken cancellationToken = default) =>
        await StatAsync(digest, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Opens the blob for streaming. The stream checks size and digest as it goes and throws
    /// <see cref="BlobVerificationException"/> at the first sign of wrong content — at the latest when
    /// the last byte is read — so commit what you read only after reading to the end.
    /// </summary>
    public async Task<Stream> OpenReadAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.Size < 0)
        {
            throw new ArgumentException($"the descriptor of {descriptor.Digest} has a negative size ({descriptor.Size})", nameof(descriptor));
        }
        var operation = $"pull blob {descriptor.Digest} from";
        var response = await _repository.SendAsync(operation,
            (b, _) => new HttpRequestMessage(HttpMethod.Get, _repository.ApiUri(b, $"blobs/{descriptor.Digest}")),
            [AuthScopes.Pull(_repository.Name)], retry: true, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await RegistryException.FromResponseAsync(operation, _repository.Registry, _repository.Name, response, cancellationToken).ConfigureAwait(false);
            }
            if (response.Content.Headers.ContentLength is { } length && length != descriptor.Size)
            {
                throw new BlobVerificationException(operation, _repository.Registry, _repository.Name,
                    $"wrong size: the registry sends {length} bytes, the descriptor says {descriptor.Size}");
            }
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new VerifyingReadStream(body, response, descriptor, _repository.Client.Options.StallTimeout,
                (reason, inner) => new BlobVerificationException(operation, _repository.Registry, _repository.Name, reason, inner));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Downloads the blob to <paramref name="destinationPath"/>: written to a temp file beside it,
    /// verified, flushed to disk and renamed into place, so the path only ever holds complete,
    /// verified content. A broken or stalled transfer is retried from the start.
    /// </summary>
    public async Task DownloadAsync(Descriptor descriptor, string destinationPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var full = Path.GetFullPath(destinationPath);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using (var source = await OpenReadAsync(descriptor, cancellationToken).ConfigureAwait(false))
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
                {
                    await source.CopyToAsync(file, 1 << 16, cancellationToken).ConfigureAwait(false);
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, full, overwrite: true);
                return;
            }
            catch (BlobVerificationException e) when (e.InnerException is not null && attempt < _repository.Client.Options.MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                // A transfer that broke or stalled (not wrong content) is worth another try.
                File.Delete(temp);
                await Task.Delay(_repository.Client.RetryDelay(attempt, null), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }
}
