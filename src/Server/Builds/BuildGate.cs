namespace Builder.Server.Builds;

/// <summary>
/// Admits builds: at most N run at once, the rest wait in arrival order; once draining, no new build is
/// admitted and the running ones are tracked so shutdown can wait for them, or cancel them after a grace.
/// </summary>
public sealed class BuildGate(int maxConcurrent)
{
    private readonly SemaphoreSlim _slots = new(maxConcurrent, maxConcurrent);
    private readonly Lock _lock = new();
    private readonly HashSet<Admission> _running = [];
    private readonly CancellationTokenSource _shutdown = new();
    private volatile bool _draining;

    /// <summary>True once shutdown began.</summary>
    public bool IsDraining => _draining;

    /// <summary>Builds admitted and not finished.</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Waits for a slot; null when the server is draining. <paramref name="waiting"/> is called once if the build has to queue.</summary>
    public async Task<Admission?> EnterAsync(Action? waiting, CancellationToken cancellationToken)
    {
        if (_draining)
        {
            return null;
        }
        if (!_slots.Wait(0))
        {
            waiting?.Invoke();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
            try
            {
                await _slots.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
        if (_draining)
        {
            _slots.Release();
            return null;
        }
        var admission = new Admission(this);
        lock (_lock)
        {
            _running.Add(admission);
        }
        return admission;
    }

    /// <summary>Stops admitting builds, waits up to <paramref name="grace"/> for the running ones, then cancels them and waits for their clean-up.</summary>
    public async Task DrainAsync(TimeSpan grace)
    {
        _draining = true;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        var deadline = DateTimeOffset.UtcNow + grace;
        while (Running > 0 && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }
        Admission[] left;
        lock (_lock)
        {
            left = _running.ToArray();
        }
        foreach (var admission in left)
        {
            await admission.Cancellation.CancelAsync().ConfigureAwait(false);
        }
        while (Running > 0)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    private void Leave(Admission admission)
    {
        lock (_lock)
        {
            if (!_running.Remove(admission))
            {
                return;
            }
        }
        _slots.Release();
    }

    /// <summary>A running build's place; dispose when the build (and its clean-up) is over.</summary>
    public sealed class Admission(BuildGate gate) : IDisposable
    {
        /// <summary>Cancelled when the shutdown grace runs out.</summary>
        public CancellationTokenSource Cancellation { get; } = new();

        public void Dispose() => gate.Leave(this);
    }
}
