using System.Net;
using System.Net.Http.Headers;
using Builder.Oci.Image;
using Builder.Oci.Manifests;
using Builder.Oci.Registry.Auth;

namespace Builder.Oci.Registry;

/// <summary>A manifest resolved for a platform, with the index it was chosen from (if the reference named one).</summary>
public sealed record ResolvedManifest(ManifestDocument Manifest, ManifestDocument? Index);

/// <summary>Manifest reads and writes of one repository, by tag or by digest.</summary>
public sealed class RegistryManifests
{
    /// <summary>Every manifest type we read, OCI first.</summary>
    private static readonly string[] AcceptedTypes =
        [MediaTypes.OciIndex, MediaTypes.OciManifest, MediaTypes.DockerManifestList, MediaTypes.DockerManifest];

    private const int MaxIndexDepth = 4;

    private readonly RegistryRepository _repository;

    internal RegistryManifests(RegistryRepository repository) => _repository = repository;

    /// <summary>
    /// Fetches the manifest or index <paramref name="reference"/> (a tag or a digest) names, exactly as
    /// stored. A digest reference, and the registry's Docker-Content-Digest header, are checked
    /// against the bytes received.
    /// </summary>
    public async Task<ManifestDocument> GetAsync(string reference, CancellationToken cancellationToken = default)
    {
        var digest = CheckReference(reference);
        var operation = $"pull manifest {reference} from";
        using var response = await _repository.SendAsync(operation, (b, _) => WithAccept(new HttpRequestMessage(HttpMethod.Get, _repository.ApiUri(b, $"manifests/{reference}"))),
            [AuthScopes.Pull(_repository.Name)], retry: true, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryException.FromResponseAsync(operation, _repository.Registry, _repository.Name, response, cancellationToken).ConfigureAwait(false);
        }
        if (response.Content.Headers.ContentLength > ManifestDocument.MaxSize)
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the manifest of {response.Content.Headers.ContentLength} bytes exceeds the {ManifestDocument.MaxSize} byte limit");
        }
        byte[] bytes;
        using var timer = new Transport.StallTimer(_repository.Client.Options.StallTimeout, cancellationToken);
        try
        {
            bytes = await ReadBoundedAsync(response, timer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (timer.HasFired)
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"no data for {timer.Timeout.TotalSeconds:0.#} s (stalled)", isTransient: true, innerException: e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the transfer broke: {e.Message}", isTransient: true, innerException: e);
        }
        ManifestDocument document;
        try
        {
            document = ManifestDocument.Parse(bytes, response.Content.Headers.ContentType?.MediaType);
        }
        catch (FormatException e)
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, e.Message, innerException: e);
        }
        if (digest is not null && document.Digest != digest)
        {
            throw new BlobVerificationException(operation, _repository.Registry, _repository.Name, $"digest mismatch: received a manifest with digest {document.Digest}");
        }
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } header
            && header.StartsWith(Digest.Sha256Algorithm + ":", StringComparison.Ordinal) && header != document.Digest.ToString())
        {
            throw new BlobVerificationException(operation, _repository.Registry, _repository.Name, $"digest mismatch: the registry says {header}, the content has {document.Digest}");
        }
        return document;
    }

    /// <summary>The descriptor of the manifest <paramref name="reference"/> names (HEAD), or null when there is none.</summary>
    public async Task<Descriptor?> StatAsync(string reference, CancellationToken cancellationToken = default)
    {
        var digest = CheckReference(reference);
        var operation = $"check manifest {reference} in";
        using var response = await _repository.SendAsync(operation, (b, _) => WithAccept(new HttpRequestMessage(HttpMethod.Head, _repository.ApiUri(b, $"manifests/{reference}"))),
            [AuthScopes.Pull(_repository.Name)], retry: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw await RegistryException.FromResponseAsync(operation, _repository.Registry, _repository.Name, response, cancellationToken).ConfigureAwait(false);
        }
        var reported = response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var d) ? d : digest;
        if (reported is null || response.Content.Headers.ContentType?.MediaType is not { } mediaType || response.Content.Headers.ContentLength is not { } size)
        {
            // Not every registry describes a manifest on HEAD; the content always does.
            return (await GetAsync(reference, cancellationToken).ConfigureAwait(false)).Descriptor;
        }
        return new Descriptor(mediaType, reported, size);
    }

    /// <summary>
    /// Stores <paramref name="document"/> under <paramref name="tag"/>, or under its digest when no tag
    /// is given, and returns its descriptor. The blobs it references must already be in the repository.
    /// </summary>
    public async Task<Descriptor> PutAsync(ManifestDocument document, string? tag = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(document);
        if (tag is not null && !IsTag(tag))
        {
            throw new ArgumentException($"invalid tag '{tag}': expected [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}", nameof(tag));
        }
        var reference = tag ?? document.Digest.ToString();
        var operation = $"push manifest {reference} to";
        using var response = await _repository.SendAsync(operation, (b, _) =>
        {
            var content = new ByteArrayContent(document.Bytes.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue(document.MediaType);
            return new HttpRequestMessage(HttpMethod.Put, _repository.ApiUri(b, $"manifests/{reference}")) { Content = content };
        }, [AuthScopes.PullPush(_repository.Name)], retry: true, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw await RegistryException.FromResponseAsync(operation, _repository.Registry, _repository.Name, response, cancellationToken).ConfigureAwait(false);
        }
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } reported && reported != document.Digest.ToString())
        {
            throw new RegistryException(operation, _repository.Registry, _repository.Name, $"the registry stored digest {reported}, expected {document.Digest}");
        }
        return document.Descriptor;
    }

    /// <summary>
    /// Fetches <paramref name="reference"/> and, when it is an index, follows it to the manifest for
    /// <paramref name="platform"/> (see <see cref="PlatformMatching"/>). Fails naming the platforms the
    /// index offers when none fits.
    /// </summary>
    public async Task<ResolvedManifest> ResolveAsync(string reference, Platform platform, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(platform);
        var document = await GetAsync(reference, cancellationToken).ConfigureAwait(false);
        ManifestDocument? top = null;
        for (var depth = 0; document.Index is { } index; depth++)
        {
            top ??= document;
            if (depth >= MaxIndexDepth)
            {
                throw new RegistryException($"resolve {reference} in", _repository.Registry, _repository.Name, $"indexes nested more than {MaxIndexDepth} deep");
            }
            var entry = PlatformMatching.SelectManifest(index, platform);
            if (entry is null)
            {
                var offered = index.Manifests.Where(m => m.Platform is not null).Select(m => m.Platform!.ToString()).Distinct();
                throw new RegistryException($"resolve {reference} in", _repository.Registry, _repository.Name,
                    $"no manifest for platform {platform} in index {document.Digest}; it offers: {string.Join(", ", offered)}");
            }
            document = await GetAsync(entry.Digest.ToString(), cancellationToken).ConfigureAwait(false);
        }
        return new ResolvedManifest(document, top);
    }

    private static HttpRequestMessage WithAccept(HttpRequestMessage request)
    {
        foreach (var type in AcceptedTypes)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }
        return request;
    }

    /// <summary>Checks a tag-or-digest; returns the digest when it is one.</summary>
    private static Digest? CheckReference(string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        if (reference.Contains(':'))
        {
            return Digest.TryParse(reference, out var digest)
                ? digest
                : throw new ArgumentException($"invalid manifest reference '{reference}': not a tag and not a sha256 digest", nameof(reference));
        }
        return IsTag(reference) ? null : throw new ArgumentException($"invalid manifest reference '{reference}': not a tag and not a sha256 digest", nameof(reference));
    }

    private static bool IsTag(string tag) =>
        tag.Length is > 0 and <= 128 && (char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')
        && tag.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, Transport.StallTimer timer, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        cancellationToken = timer.Token;
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            timer.Reset();
            if (buffer.Length > ManifestDocument.MaxSize)
            {
                throw new IOException($"the manifest exceeds the {ManifestDocument.MaxSize} byte limit");
            }
        }
        return buffer.ToArray();
    }
}
