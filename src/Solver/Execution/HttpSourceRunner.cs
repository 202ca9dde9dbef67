using System.Security.Cryptography;
using Builder.Solver.Definition;

namespace Builder.Solver.Execution;

/// <summary>
/// ADD from a URL: the file is downloaded (streamed, hashed as it arrives) into a snapshot of its
/// own, keyed by its content, so a changed file invalidates exactly the steps after it.
/// </summary>
internal static class HttpSourceRunner
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromMinutes(10) };

    public static async Task<VertexResult> RunAsync(StepContext step, SourceOp source, CancellationToken cancellationToken)
    {
        var url = source.Identifier;
        using var workspace = new Workspace(step.Root);
        var (activeKey, target, tree) = workspace.MountWritable(null);
        var name = source.Attributes.GetValueOrDefault(SourceOp.Attr.Filename) is { Length: > 0 } f ? f : FileNameOf(url);
        var path = Path.Combine(target, name);
        string digest;
        try
        {
            using var response = await Client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new StepFailedException(step.Vertex.Description.Name, step.Failure($"ADD {url}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}"));
            }
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            digest = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        catch (HttpRequestException e)
        {
            throw new StepFailedException(step.Vertex.Description.Name, step.Failure($"ADD {url}: {e.Message}"), e);
        }
        if (source.Attributes.GetValueOrDefault(SourceOp.Attr.Checksum) is { Length: > 0 } expected && !string.Equals(expected, digest, StringComparison.OrdinalIgnoreCase))
        {
            throw new StepFailedException(step.Vertex.Description.Name, step.Failure($"ADD {url}: checksum mismatch: expected {expected}, downloaded content is {digest}"));
        }
        tree.Dispose();
        var committed = "step/" + Guid.NewGuid().ToString("N");
        step.Root.Snapshots.Commit(committed, activeKey);
        workspace.Release(activeKey);
        return new VertexResult(Cache.CacheKey.ForSource("http\n" + url + "\n" + name + "\n" + digest), committed);
    }

    private static string FileNameOf(string url)
    {
        var name = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? Path.GetFileName(uri.AbsolutePath) : "";
        return name.Length == 0 || name is "." or ".." ? "index.html" : name;
    }
}
