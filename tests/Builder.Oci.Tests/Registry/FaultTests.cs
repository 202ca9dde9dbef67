using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Builder.Oci.Registry;
using Builder.Oci.Registry.Auth;
using Builder.Oci.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Builder.Oci.Tests.Registry;

/// <summary>The client against a scripted HTTP server: retries, broken content, stalls, and where credentials go.</summary>
public sealed class FaultTests
{
    private const string Repo = "team/app";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static RegistryClient NewClient(ICredentialProvider? credentials = null, int maxRetries = 3, TimeSpan? stall = null) => new(new RegistryClientOptions
    {
        Credentials = credentials ?? AnonymousCredentials.Instance,
        MaxRetries = maxRetries,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        StallTimeout = stall ?? TimeSpan.FromSeconds(30),
    });

    private static readonly byte[] ManifestBytes = Encoding.UTF8.GetBytes(
        """{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"futureField":{"x":1}}""");

    private static async Task ServeManifest(HttpContext context)
    {
        context.Response.ContentType = "application/vnd.oci.image.manifest.v1+json";
        context.Response.Headers["Docker-Content-Digest"] = Digest.Sha256Of(ManifestBytes).ToString();
        context.Response.ContentLength = ManifestBytes.Length;
        await context.Response.Body.WriteAsync(ManifestBytes);
    }

    private static (Descriptor Descriptor, byte[] Bytes) Blob(int size = 10_000)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        return (new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256Of(bytes), size), bytes);
    }

    private static async Task<byte[]> ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Cancel);
        return copy.ToArray();
    }

    [Fact]
    public async Task Server_error_then_success_is_retried()
    {
        var calls = 0;
        await using var server = await FaultServer.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.StatusCode = 503;
                return;
            }
            await ServeManifest(context);
        });
        using var client = NewClient();
        var document = await client.GetRepository(server.Host, Repo).Manifests.GetAsync("v1", Cancel);
        Assert.Equal(Digest.Sha256Of(ManifestBytes), document.Digest);
        Assert.Empty(document.Manifest!.Layers); // the unknown field was ignored
        Assert.Equal(2, server.Requests.Count(r => r.PathAndQuery == $"/v2/{Repo}/manifests/v1"));
        Assert.All(server.Requests, r => Assert.Equal(
            "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json",
            r.Accept));
    }

    [Fact]
    public async Task Connection_reset_then_success_is_retried()
    {
        var calls = 0;
        await using var server = await FaultServer.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Abort(); // reset before any response
                return;
            }
            await ServeManifest(context);
        });
        using var client = NewClient();
        var document = await client.GetRepository(server.Host, Repo).Manifests.GetAsync("v1", Cancel);
        Assert.Equal(Digest.Sha256Of(ManifestBytes), document.Digest);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Manifest_whose_content_does_not_match_the_requested_digest_is_rejected()
    {
        await using var server = await FaultServer.StartAsync(ServeManifest);
        using var client = NewClient();
        var wanted = Digest.Sha256Of([1, 2, 3]);
        var error = await Assert.ThrowsAsync<BlobVerificationException>(() => client.GetRepository(server.Host, Repo).Manifests.GetAsync(wanted.ToString(), Cancel));
        Assert.Contains($"pull manifest {wanted} from {server.Host}/{Repo}: digest mismatch", error.Message);
    }

    [Fact]
    public async Task Persistent_server_error_fails_after_bounded_retries_naming_everything()
    {
        await using var server = await FaultServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 500;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}""");
        });
        using var client = NewClient(maxRetries: 2);
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetRepository(server.Host, Repo).Manifests.GetAsync("v1", Cancel));
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal($"pull manifest v1 from {server.Host}/{Repo}: HTTP 500 InternalServerError: registry server error (UNKNOWN: disk on fire)", error.Message);
        Assert.True(error.IsTransient);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Truncated_blob_fails_and_a_download_leaves_nothing_behind()
    {
        var (descriptor, bytes) = Blob();
        await using var server = await FaultServer.StartAsync(async context =>
        {
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await context.Response.Body.FlushAsync();
            await Task.Delay(200); // let the client read what was sent before the connection resets
            context.Abort();
        });
        using var client = NewClient(maxRetries: 2);
        var repository = client.GetRepository(server.Host, Repo);
        await using (var stream = await repository.Blobs.OpenReadAsync(descriptor, Cancel))
        {
            var error = await Assert.ThrowsAsync<BlobVerificationException>(() => ReadAll(stream));
            Assert.Contains("truncated", error.Message);
            Assert.Contains($"pull blob {descriptor.Digest} from {server.Host}/{Repo}: ", error.Message);
        }
        var dir = Directory.CreateTempSubdirectory("builder-oci-").FullName;
        try
        {
            await Assert.ThrowsAsync<BlobVerificationException>(() => repository.Blobs.DownloadAsync(descriptor, Path.Combine(dir, "blob"), Cancel));
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
            Assert.Equal(1 + 3, server.Requests.Count); // one read above, then a download retried twice
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Wrong_digest_fails_at_the_end_and_is_not_retried()
    {
        var (descriptor, _) = Blob();
        var (_, other) = Blob();
        await using var server = await FaultServer.StartAsync(async context =>
        {
            context.Response.ContentLength = other.Length;
            await context.Response.Body.WriteAsync(other);
        });
        using var client = NewClient();
        var repository = client.GetRepository(server.Host, Repo);
        var dir = Directory.CreateTempSubdirectory("builder-oci-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<BlobVerificationException>(() => repository.Blobs.DownloadAsync(descriptor, Path.Combine(dir, "blob"), Cancel));
            Assert.Contains($"digest mismatch: expected {descriptor.Digest}, received content with digest {Digest.Sha256Of(other)}", error.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
            Assert.Single(server.Requests);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(true, 10)]
    [InlineData(false, 10)]
    [InlineData(false, -10)]
    public async Task Wrong_size_is_rejected(bool sendLength, int extra)
    {
        var (descriptor, _) = Blob();
        var body = RandomNumberGenerator.GetBytes((int)descriptor.Size + extra);
        await using var server = await FaultServer.StartAsync(async context =>
        {
            if (sendLength)
            {
                context.Response.ContentLength = body.Length;
            }
            await context.Response.Body.WriteAsync(body);
        });
        using var client = NewClient();
        var repository = client.GetRepository(server.Host, Repo);
        var error = await Assert.ThrowsAsync<BlobVerificationException>(async () =>
        {
            await using var stream = await repository.Blobs.OpenReadAsync(descriptor, Cancel);
            await ReadAll(stream);
        });
        var expected = sendLength ? $"wrong size: the registry sends {body.Length} bytes, the descriptor says {descriptor.Size}"
            : extra > 0 ? $"wrong size: received more than the expected {descriptor.Size} bytes"
            : $"truncated: received {body.Length} of {descriptor.Size} bytes";
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Server_that_never_answers_times_out_after_bounded_retries()
    {
        await using var server = await FaultServer.StartAsync(context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        using var client = NewClient(maxRetries: 1, stall: TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetRepository(server.Host, Repo).Manifests.GetAsync("v1", Cancel));
        Assert.Contains("timed out", error.Message);
        Assert.Contains($"{server.Host}/{Repo}", error.Message);
        Assert.Equal(2, server.Requests.Count);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Body_that_stalls_times_out()
    {
        var (descriptor, bytes) = Blob();
        await using var server = await FaultServer.StartAsync(async context =>
        {
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, 1000));
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        using var client = NewClient(stall: TimeSpan.FromMilliseconds(300));
        await using var stream = await client.GetRepository(server.Host, Repo).Blobs.OpenReadAsync(descriptor, Cancel);
        var error = await Assert.ThrowsAsync<BlobVerificationException>(() => ReadAll(stream));
        Assert.Contains("stalled", error.Message);
        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task Cancellation_stops_a_stalled_request_promptly()
    {
        await using var server = await FaultServer.StartAsync(context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        using var client = NewClient(stall: TimeSpan.FromMinutes(5));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetRepository(server.Host, Repo).Manifests.GetAsync("v1", cancel.Token));
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Single(server.Requests); // cancellation is not retried
    }

    [Fact]
    public async Task Token_realm_on_another_host_never_receives_the_registry_credentials()
    {
        var tokenRequests = 0;
        await using var tokens = await FaultServer.StartAsync(async context =>
        {
            Interlocked.Increment(ref tokenRequests);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"token":"tok-123","expires_in":300}""");
        }, "127.0.0.2");
        await using var registry = await FaultServer.StartAsync(async context =>
        {
            if (context.Request.Headers.Authorization != "Bearer tok-123")
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{tokens.Host}/token\",service=\"fault registry\",scope=\"repository:{Repo}:pull\"";
                return;
            }
            await ServeManifest(context);
        });
        var credentials = new StaticCredentials(registry.Host, new RegistryCredentials("registry-user", "registry-password"));
        using var client = NewClient(credentials);
        var repository = client.GetRepository(registry.Host, Repo);
        await repository.Manifests.GetAsync("v1", Cancel);
        await repository.Manifests.GetAsync("v1", Cancel);

        Assert.Equal(1, tokenRequests); // cached for the second request
        var tokenRequest = Assert.Single(tokens.Requests);
        Assert.Null(tokenRequest.Authorization);
        Assert.Equal($"/token?service=fault%20registry&scope=repository%3A{Uri.EscapeDataString(Repo)}%3Apull", tokenRequest.PathAndQuery);
        Assert.Equal([null, "Bearer tok-123", "Bearer tok-123"], registry.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task Token_realm_on_another_host_gets_only_its_own_credentials()
    {
        await using var tokens = await FaultServer.StartAsync(async context =>
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"access_token":"tok-456"}""");
        }, "127.0.0.2");
        await using var registry = await FaultServer.StartAsync(async context =>
        {
            if (context.Request.Headers.Authorization != "Bearer tok-456")
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{tokens.Host}/token\",service=\"svc\"";
                return;
            }
            await ServeManifest(context);
        });
        var credentials = new CredentialChain(
            new StaticCredentials(registry.Host, new RegistryCredentials("registry-user", "registry-password")),
            new StaticCredentials(tokens.Host, new RegistryCredentials("token-user", "token-password")));
        using var client = NewClient(credentials);
        await client.GetRepository(registry.Host, Repo).Manifests.GetAsync("v1", Cancel);
        var tokenRequest = Assert.Single(tokens.Requests);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("token-user:token-password")), tokenRequest.Authorization);
        Assert.Contains($"scope=repository%3A{Uri.EscapeDataString(Repo)}%3Apull", tokenRequest.PathAndQuery);
        Assert.DoesNotContain(registry.Requests, r => r.Authorization?.StartsWith("Basic", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Redirect_to_blob_storage_on_another_host_carries_no_authorization()
    {
        var (descriptor, bytes) = Blob();
        await using var storage = await FaultServer.StartAsync(async context =>
        {
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes);
        }, "127.0.0.2");
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("user:password"));
        await using var registry = await FaultServer.StartAsync(context =>
        {
            if (context.Request.Headers.Authorization != basic)
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"fault\"";
                return Task.CompletedTask;
            }
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = $"http://{storage.Host}/blobs/{descriptor.Digest.Hex}?signature=abc";
            return Task.CompletedTask;
        });
        using var client = NewClient(new StaticCredentials(registry.Host, new RegistryCredentials("user", "password")));
        await using (var stream = await client.GetRepository(registry.Host, Repo).Blobs.OpenReadAsync(descriptor, Cancel))
        {
            Assert.Equal(bytes, await ReadAll(stream));
        }
        Assert.Equal([null, basic], registry.Requests.Select(r => r.Authorization));
        var fetched = Assert.Single(storage.Requests);
        Assert.Null(fetched.Authorization);
        Assert.Equal($"/blobs/{descriptor.Digest.Hex}?signature=abc", fetched.PathAndQuery);
    }

    [Fact]
    public async Task Upload_failing_with_a_server_error_is_retried_from_the_start()
    {
        var (descriptor, bytes) = Blob(50_000);
        var puts = 0;
        byte[]? stored = null;
        await using var server = await FaultServer.StartAsync(async context =>
        {
            var request = context.Request;
            if (request.Method == "HEAD")
            {
                context.Response.StatusCode = 404;
            }
            else if (request.Method == "POST")
            {
                context.Response.StatusCode = 202;
                context.Response.Headers.Location = $"/v2/{Repo}/blobs/uploads/{Guid.NewGuid():N}?_state=x";
            }
            else if (request.Method == "PUT")
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                if (Interlocked.Increment(ref puts) == 1)
                {
                    context.Response.StatusCode = 502;
                    return;
                }
                Assert.Equal($"?_state=x&digest={Uri.EscapeDataString(descriptor.Digest.ToString())}", request.QueryString.Value);
                stored = body.ToArray();
                context.Response.StatusCode = 201;
                context.Response.Headers["Docker-Content-Digest"] = descriptor.Digest.ToString();
            }
            else if (request.Method == "DELETE")
            {
                context.Response.StatusCode = 204;
            }
        });
        using var client = NewClient();
        await using var source = new MemoryStream(bytes);
        Assert.Equal(BlobPushOutcome.Uploaded, await client.GetRepository(server.Host, Repo).Uploads.PushAsync(descriptor, source, null, Cancel));
        Assert.Equal(bytes, stored);
        Assert.Equal(2, puts);
        Assert.Equal(["HEAD", "POST", "PUT", "DELETE", "POST", "PUT"], server.Requests.Select(r => r.Method));
    }

    [Fact]
    public async Task Push_asks_for_push_and_mount_scopes_and_reuses_tokens()
    {
        var (descriptor, bytes) = Blob(2_000);
        var issued = 0;
        await using var tokens = await FaultServer.StartAsync(async context =>
        {
            var n = Interlocked.Increment(ref issued);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"token":"T{{n}}"}""");
        }, "127.0.0.2");
        await using var registry = await FaultServer.StartAsync(async context =>
        {
            var request = context.Request;
            if (!request.Headers.Authorization.ToString().StartsWith("Bearer T", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{tokens.Host}/token\",service=\"svc\"";
                return;
            }
            switch (request.Method)
            {
                case "HEAD":
                    context.Response.StatusCode = 404;
                    break;
                case "POST":
                    context.Response.StatusCode = 202; // the mount did not happen: upload instead
                    context.Response.Headers.Location = $"/v2/{Repo}/blobs/uploads/u1";
                    break;
                case "PUT":
                    await request.Body.CopyToAsync(Stream.Null);
                    context.Response.StatusCode = 201;
                    break;
            }
        });
        using var client = NewClient();
        await using var source = new MemoryStream(bytes);
        var outcome = await client.GetRepository(registry.Host, Repo).Uploads.PushAsync(descriptor, source, new BlobPushOptions { MountFrom = ["base/image"] }, Cancel);
        Assert.Equal(BlobPushOutcome.Uploaded, outcome);
        Assert.Equal(
            [
                "/token?service=svc&scope=repository%3Ateam%2Fapp%3Apull%2Cpush",
                "/token?service=svc&scope=repository%3Ateam%2Fapp%3Apull%2Cpush&scope=repository%3Abase%2Fimage%3Apull",
            ],
            tokens.Requests.Select(r => r.PathAndQuery));
        Assert.Equal(
            [("HEAD", null), ("HEAD", "Bearer T1"), ("POST", "Bearer T2"), ("PUT", "Bearer T1")],
            registry.Requests.Select(r => (r.Method, r.Authorization)));
    }
}
