using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Builder.Server.Hosting;

/// <summary>
/// Turns an unexpected exception in any call into one clear status (Internal, with its message) instead of
/// gRPC's bare "Exception was thrown by handler"; the user-facing store errors get their own codes.
/// </summary>
internal sealed class ErrorInterceptor(ILogger<ErrorInterceptor> log) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e) is { } status)
        {
            if (status.StatusCode == StatusCode.Internal)
            {
                log.LogError(e, "{Method} failed", context.Method);
            }
            throw status;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e) is { } status)
        {
            if (status.StatusCode == StatusCode.Internal)
            {
                log.LogError(e, "{Method} failed", context.Method);
            }
            throw status;
        }
    }

    private static RpcException? Translate(Exception e) => e switch
    {
        RpcException or OperationCanceledException => null,
        Exporter.Store.ImageNotFoundException => new RpcException(new Status(StatusCode.NotFound, e.Message)),
        _ => new RpcException(new Status(StatusCode.Internal, $"the build server failed: {e.GetType().Name}: {e.Message}")),
    };
}
