using System.Collections.Concurrent;
using Builder.Oci.Registry.Auth;
using Builder.Server.Protocol;
using Builder.Solver;

namespace Builder.Server.Builds;

/// <summary>
/// Questions the server asks the client during a build: a secret's value when a step mounts it, a
/// registry's credentials when a pull or push needs them. Answers live in memory only; secrets are never
/// written to the server's disk by this side, and credentials are asked once per registry per build.
/// </summary>
internal sealed class ClientRequests(Func<ServerMessage, CancellationToken, Task> send, IReadOnlySet<string> offeredSecrets, CancellationToken buildCancellation)
    : ISecretSource, ICredentialProvider
{
    private static readonly TimeSpan CredentialTimeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<ClientMessage>> _pending = new();
    private readonly ConcurrentDictionary<string, Lazy<RegistryCredentials?>> _credentials = new(StringComparer.OrdinalIgnoreCase);
    private long _next;

    public async ValueTask<byte[]?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (!offeredSecrets.Contains(id))
        {
            return null; // the client has no such secret: no round trip, and no way to probe for names
        }
        var answer = await AskAsync(new ServerMessage { Secret = new SecretRequest { Id = id } }, cancellationToken).ConfigureAwait(false);
        return answer.Secret.Found ? answer.Secret.Value.ToByteArray() : null;
    }

    public RegistryCredentials? GetCredentials(string host) =>
        _credentials.GetOrAdd(host, h => new Lazy<RegistryCredentials?>(() =>
        {
            // The registry client asks synchronously; the answer comes over the stream.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(buildCancellation);
            timeout.CancelAfter(CredentialTimeout);
            var answer = AskAsync(new ServerMessage { Credential = new CredentialRequest { Host = h } }, timeout.Token).AsTask().GetAwaiter().GetResult();
            return answer.Credential.Found ? new RegistryCredentials(answer.Credential.Username, answer.Credential.Password) : null;
        })).Value;

    /// <summary>Hands an answer from the client to whoever asked; false when nobody did.</summary>
    public bool Answer(ulong requestId, ClientMessage message) =>
        _pending.TryRemove(requestId, out var waiter) && waiter.TrySetResult(message);

    /// <summary>Fails every open question (the client went away).</summary>
    public void Abort(Exception reason)
    {
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var waiter))
            {
                waiter.TrySetException(reason);
            }
        }
    }

    private async ValueTask<ClientMessage> AskAsync(ServerMessage question, CancellationToken cancellationToken)
    {
        var id = (ulong)Interlocked.Increment(ref _next);
        if (question.KindCase == ServerMessage.KindOneofCase.Secret)
        {
            question.Secret.RequestId = id;
        }
        else
        {
            question.Credential.RequestId = id;
        }
        var waiter = new TaskCompletionSource<ClientMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = waiter;
        await using var registration = cancellationToken.Register(() =>
        {
            if (_pending.TryRemove(id, out var w))
            {
                w.TrySetCanceled(cancellationToken);
            }
        });
        await send(question, cancellationToken).ConfigureAwait(false);
        return await waiter.Task.ConfigureAwait(false);
    }
}
