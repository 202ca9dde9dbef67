using System.Runtime.InteropServices;

namespace Builder.Cli.Build;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM during <c>builder build</c>. The first cancels the build, which then
/// kills its containers, unmounts and releases its snapshots and only then exits (with 130).
/// Exiting earlier would leave mounts and half-made state behind, so later signals do not end
/// the process; they only say that the build is still cleaning up.
/// </summary>
internal sealed class BuildInterrupt : IDisposable
{
    private readonly TextWriter _error;
    private readonly CancellationTokenSource _cancel;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _signals;

    /// <param name="error">Where the "still cleaning up" notice goes.</param>
    /// <param name="outer">Another reason to cancel (the caller's token).</param>
    public BuildInterrupt(TextWriter error, CancellationToken outer)
    {
        ArgumentNullException.ThrowIfNull(error);
        _error = error;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancel.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the build exits by itself once it has cleaned up
        var count = Interlocked.Increment(ref _signals);
        if (count == 1)
        {
            _cancel.Cancel();
        }
        else if (count == 2)
        {
            try
            {
                _error.WriteLine("builder: canceling: stopping containers and removing mounts, the build exits when that is done");
            }
            catch (IOException)
            {
                // stderr is gone; nothing to tell
            }
        }
    }
}
