namespace Builder.Oci.Registry.Transport;

/// <summary>
/// A cancellation source that fires when nothing has happened for a while: every sign of progress
/// (a response, a body chunk read or sent) calls <see cref="Reset"/>. A slow but moving transfer
/// never times out; a stalled one does, after exactly one timeout.
/// </summary>
internal sealed class StallTimer : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationToken _callerToken;
    private readonly TimeSpan _timeout;

    public StallTimer(TimeSpan timeout, CancellationToken callerToken)
    {
        _timeout = timeout;
        _callerToken = callerToken;
        _source = CancellationTokenSource.CreateLinkedTokenSource(callerToken);
        _source.CancelAfter(timeout);
    }

    /// <summary>Cancelled by the caller or by the stall timeout.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>The timeout fired (as opposed to the caller cancelling).</summary>
    public bool HasFired => _source.IsCancellationRequested && !_callerToken.IsCancellationRequested;

    public TimeSpan Timeout => _timeout;

    public void Reset()
    {
        if (!_source.IsCancellationRequested)
        {
            _source.CancelAfter(_timeout);
        }
    }

    public void Dispose() => _source.Dispose();
}
