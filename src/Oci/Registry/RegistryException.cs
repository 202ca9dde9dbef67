using System.Net;
using System.Text.Json;

namespace Builder.Oci.Registry;

/// <summary>One entry of a distribution-spec error body (<c>{"errors":[{"code":…,"message":…}]}</c>).</summary>
public sealed record RegistryErrorDetail(string Code, string Message);

/// <summary>
/// A registry operation failed. The message names the operation, the registry, the repository and
/// the HTTP status (when there was a response), plus the registry's own error codes.
/// </summary>
public class RegistryException : Exception
{
    public RegistryException(string operation, string registry, string repository, string reason, HttpStatusCode? statusCode = null,
        IReadOnlyList<RegistryErrorDetail>? errors = null, bool isTransient = false, Exception? innerException = null)
        : base(Describe(operation, registry, repository, reason, statusCode, errors), innerException)
    {
        Operation = operation;
        Registry = registry;
        Repository = repository;
        StatusCode = statusCode;
        Errors = errors ?? [];
        IsTransient = isTransient;
    }

    /// <summary>What we were doing, e.g. <c>pull blob sha256:…</c>.</summary>
    public string Operation { get; }

    public string Registry { get; }

    public string Repository { get; }

    /// <summary>The HTTP status of the failed response, or null when there was none (network, verification).</summary>
    public HttpStatusCode? StatusCode { get; }

    public IReadOnlyList<RegistryErrorDetail> Errors { get; }

    /// <summary>True when trying again may succeed (5xx, 429, connection errors, timeouts).</summary>
    public bool IsTransient { get; }

    private static string Describe(string operation, string registry, string repository, string reason, HttpStatusCode? status, IReadOnlyList<RegistryErrorDetail>? errors)
    {
        var text = $"{operation} {registry}/{repository}: ";
        if (status is { } s)
        {
            text += $"HTTP {(int)s} {s}: ";
        }
        text += reason;
        if (errors is { Count: > 0 })
        {
            text += " (" + string.Join("; ", errors.Select(e => e.Message.Length > 0 ? $"{e.Code}: {e.Message}" : e.Code)) + ")";
        }
        return text;
    }

    /// <summary>Builds the exception for an unexpected response, reading its error body (bounded).</summary>
    internal static async Task<RegistryException> FromResponseAsync(string operation, string registry, string repository, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var errors = new List<RegistryErrorDetail>();
        try
        {
            var bytes = await ReadBoundedAsync(response, 64 * 1024, cancellationToken).ConfigureAwait(false);
            if (bytes.Length > 0 && bytes[0] == (byte)'{')
            {
                using var json = JsonDocument.Parse(bytes);
                if (json.RootElement.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var e in list.EnumerateArray())
                    {
                        errors.Add(new RegistryErrorDetail(
                            e.TryGetProperty("code", out var c) ? c.GetString() ?? "" : "",
                            e.TryGetProperty("message", out var m) ? m.GetString() ?? "" : ""));
                    }
                }
            }
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            // The status alone still says what happened.
        }
        var status = response.StatusCode;
        var reason = status switch
        {
            HttpStatusCode.Unauthorized => "authentication required or credentials rejected",
            HttpStatusCode.Forbidden => "access denied",
            HttpStatusCode.NotFound => "not found",
            HttpStatusCode.TooManyRequests => "rate limited",
            _ when (int)status >= 500 => "registry server error",
            _ => "unexpected response",
        };
        return new RegistryException(operation, registry, repository, reason, status, errors, IsTransientStatus(status));
    }

    internal static bool IsTransientStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || ((int)status >= 500 && status != HttpStatusCode.NotImplemented);

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, int limit, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[limit];
        var total = 0;
        int read;
        while (total < limit && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += read;
        }
        return buffer[..total];
    }
}

/// <summary>Fetched content did not match its descriptor: wrong digest, wrong size, or cut short.</summary>
public sealed class BlobVerificationException(string operation, string registry, string repository, string reason, Exception? innerException = null)
    : RegistryException(operation, registry, repository, reason, null, null, isTransient: false, innerException);
