using Builder.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace Builder.Engine.Io;

/// <summary>
/// The container's fds 0-2 and the copying between them and the caller's streams: separate
/// stdout/stderr pipes, or one pseudo-terminal. Output is copied until EOF, i.e. until every
/// process of the container has closed it, so nothing is ever cut off.
/// </summary>
internal sealed class ContainerStdio : IDisposable
{
    private readonly List<SafeFileHandle> _childEnds = [];
    private readonly List<IDisposable> _owned = [];
    private readonly List<Task> _outputCopies = [];
    private readonly CancellationTokenSource _stdinStop = new();
    private SafeFileHandle? _stdinWrite;
    private SafeFileHandle? _master;
    private PseudoTerminal? _pty;
    private ContainerIo? _resizeOwner;
    private (SafeFileHandle Handle, Stream? Target)[] _pendingOutputs = [];
    private Stream? _stdinSource;

    private ContainerStdio()
    {
    }

    /// <summary>fds for the child's 0, 1, 2.</summary>
    public int[] ChildFds { get; private set; } = [];

    public static ContainerStdio Create(ContainerIo io)
    {
        var stdio = new ContainerStdio();
        try
        {
            if (io.Terminal is { } size)
            {
                stdio.CreateTerminal(size, io);
            }
            else
            {
                stdio.CreatePipes(io);
            }
            return stdio;
        }
        catch
        {
            stdio.Dispose();
            throw;
        }
    }

    private void CreatePipes(ContainerIo io)
    {
        int stdin;
        if (io.Stdin is null)
        {
            var devNull = new SafeFileHandle(LibC.open("/dev/null", LibC.O_RDONLY | LibC.O_CLOEXEC, 0), ownsHandle: true);
            _childEnds.Add(devNull);
            stdin = Pipe.Fd(devNull);
        }
        else
        {
            var pipe = Pipe.Create();
            _childEnds.Add(pipe.Read);
            _stdinWrite = pipe.Write;
            stdin = Pipe.Fd(pipe.Read);
        }
        var stdout = Pipe.Create();
        var stderr = Pipe.Create();
        _childEnds.Add(stdout.Write);
        _childEnds.Add(stderr.Write);
        _owned.Add(stdout);
        _owned.Add(stderr);
        ChildFds = [stdin, Pipe.Fd(stdout.Write), Pipe.Fd(stderr.Write)];
        _pendingOutputs = [(stdout.Read, io.Stdout), (stderr.Read, io.Stderr)];
        _stdinSource = io.Stdin;
    }

    private void CreateTerminal(TerminalSize size, ContainerIo io)
    {
        _pty = PseudoTerminal.Open(size);
        _owned.Add(_pty);
        _childEnds.Add(_pty.Slave);
        _master = _pty.Master;
        var slave = Pipe.Fd(_pty.Slave);
        ChildFds = [slave, slave, slave];
        _pendingOutputs = [(_pty.Master, io.Stdout)];
        _stdinSource = io.Stdin;
        _stdinWrite = null;
        io.OnResize(_pty.Resize);
        _resizeOwner = io;
    }

    /// <summary>Call once the helper has started: drops our copies of its ends and starts copying.</summary>
    public void Start()
    {
        foreach (var end in _childEnds)
        {
            end.Dispose();
        }
        foreach (var (handle, target) in _pendingOutputs)
        {
            _outputCopies.Add(Task.Run(() => CopyOutput(handle, target)));
        }
        if (_stdinSource is not null)
        {
            var input = _stdinWrite ?? _master!;
            _ = Task.Run(() => CopyInput(_stdinSource, input, closeAfter: _stdinWrite is not null, _stdinStop.Token));
        }
    }

    /// <summary>Completes when stdout and stderr (or the terminal) reached EOF.</summary>
    public Task OutputDone => Task.WhenAll(_outputCopies);

    private static async Task CopyOutput(SafeFileHandle handle, Stream? target)
    {
        var buffer = new byte[64 * 1024];
        using var source = OpenForReading(handle);
        while (true)
        {
            int n;
            try
            {
                n = await source.ReadAsync(buffer).ConfigureAwait(false);
            }
            catch (IOException)
            {
                break; // EIO from a terminal master once the last slave fd is closed
            }
            if (n == 0)
            {
                break;
            }
            if (target is not null)
            {
                await target.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            }
        }
        if (target is not null)
        {
            await target.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A pipe becomes a PipeStream, whose reads are truly asynchronous (epoll), so waiting for a
    /// container's output never blocks a thread-pool thread; a terminal master stays a FileStream.
    /// </summary>
    public static Stream OpenForReading(SafeFileHandle handle)
    {
        if (Pipe.IsFifo(handle))
        {
            var fd = (nint)handle.DangerousGetHandle();
            handle.SetHandleAsInvalid(); // ownership moves to the pipe handle
            return new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.In, new Microsoft.Win32.SafeHandles.SafePipeHandle(fd, ownsHandle: true));
        }
        return new FileStream(handle, FileAccess.Read, 1);
    }

    private static async Task CopyInput(Stream source, SafeFileHandle handle, bool closeAfter, CancellationToken stop)
    {
        try
        {
            // The stdin pipe is closed at the end of input (the command reads EOF); a terminal
            // master is shared with the output copy, so input goes through a duplicate of it.
            await using var target = closeAfter ? OpenForWriting(handle) : new FileStream(Duplicate(handle), FileAccess.Write, 1);
            var buffer = new byte[16 * 1024];
            int n;
            while ((n = await source.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, n), stop).ConfigureAwait(false);
                await target.FlushAsync(stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The container stopped reading (EPIPE) or ended.
        }
        finally
        {
            if (closeAfter)
            {
                handle.Dispose();
            }
        }
    }

    private static Stream OpenForWriting(SafeFileHandle handle)
    {
        var fd = (nint)handle.DangerousGetHandle();
        handle.SetHandleAsInvalid(); // ownership moves to the pipe handle
        return new System.IO.Pipes.AnonymousPipeClientStream(System.IO.Pipes.PipeDirection.Out, new SafePipeHandle(fd, ownsHandle: true));
    }

    private static SafeFileHandle Duplicate(SafeFileHandle handle)
    {
        var fd = LibC.fcntl(Pipe.Fd(handle), LibC.F_DUPFD_CLOEXEC, 0);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw LibC.Fail("dup of the terminal master");
    }

    public void Dispose()
    {
        _resizeOwner?.OnResize(null);
        _stdinStop.Cancel();
        foreach (var end in _childEnds)
        {
            end.Dispose();
        }
        _stdinWrite?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
        _stdinStop.Dispose();
    }
}
