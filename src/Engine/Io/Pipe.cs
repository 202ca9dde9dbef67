using Builder.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace Builder.Engine.Io;

/// <summary>A close-on-exec pipe: only the fds explicitly handed to a helper reach it.</summary>
internal sealed class Pipe : IDisposable
{
    private Pipe(SafeFileHandle read, SafeFileHandle write)
    {
        Read = read;
        Write = write;
    }

    public SafeFileHandle Read { get; }

    public SafeFileHandle Write { get; }

    public static unsafe Pipe Create()
    {
        var fds = stackalloc int[2];
        if (LibC.pipe2(fds, LibC.O_CLOEXEC) != 0)
        {
            throw LibC.Fail("pipe2");
        }
        return new Pipe(new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    public static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>Reads a helper's status pipe (a few short lines) until every writer has closed it.</summary>
    public static async Task<string> ReadToEndAsync(SafeFileHandle readEnd)
    {
        await using var stream = ContainerStdio.OpenForReading(readEnd);
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        return await reader.ReadToEndAsync().ConfigureAwait(false);
    }

    public static unsafe bool IsFifo(SafeFileHandle handle)
    {
        var stat = stackalloc byte[LibC.StatSize];
        return LibC.fstat(Fd(handle), stat) == 0 && (LibC.ModeAndSize(stat).Mode & LibC.S_IFMT) == 0x1000; // S_IFIFO
    }

    public void Dispose()
    {
        Read.Dispose();
        Write.Dispose();
    }
}
