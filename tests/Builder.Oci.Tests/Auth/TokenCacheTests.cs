using Builder.Oci.Registry.Auth;
using Builder.Oci.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace Builder.Oci.Tests.Auth;

/// <summary>The authentication handler on its own: tokens cached per scope until they expire.</summary>
public sealed class TokenCacheTests
{
    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public async Task Tokens_are_reused_per_scope_until_they_expire()
    {
        var issued = 0;
        FaultServer? registry = null;
        await using var tokens = await FaultServer.StartAsync(async context =>
        {
            var n = Interlocked.Increment(ref issued);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"token":"t{{n}}","expires_in":120}""");
        });
        registry = await FaultServer.StartAsync(context =>
        {
            if (!context.Request.Headers.Authorization.ToString().StartsWith("Bearer t", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 401;
                context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{tokens.Host}/token\",service=\"svc\"";
            }
            return Task.CompletedTask;
        });
        await using (registry)
        {
            var time = new ManualTime();
            using var invoker = new HttpMessageInvoker(new RegistryAuthenticationHandler(AnonymousCredentials.Instance, new SocketsHttpHandler(), time));
            async Task<string?> Get(string scope)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{registry.Host}/v2/a/manifests/x");
                request.Options.Set(AuthScopes.Key, (IReadOnlyList<string>)[scope]);
                using var response = await invoker.SendAsync(request, TestContext.Current.CancellationToken);
                Assert.Equal(200, (int)response.StatusCode);
                return request.Headers.Authorization?.Parameter;
            }

            Assert.Equal("t1", await Get("repository:a:pull"));
            Assert.Equal("t1", await Get("repository:a:pull"));
            Assert.Equal("t2", await Get("repository:a:pull,push")); // another scope, another token
            time.Now += TimeSpan.FromSeconds(100); // within the 120 s lifetime, minus the safety margin
            Assert.Equal("t1", await Get("repository:a:pull"));
            time.Now += TimeSpan.FromSeconds(20);
            Assert.Equal("t3", await Get("repository:a:pull"));
            Assert.Equal(3, issued);
            Assert.Contains(tokens.Requests, r => r.PathAndQuery == "/token?service=svc&scope=repository%3Aa%3Apull%2Cpush");
            Assert.Single(registry.Requests, r => r.Authorization is null); // only the very first request went unauthenticated
        }
    }
}
