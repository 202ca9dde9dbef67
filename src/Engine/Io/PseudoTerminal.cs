using System.Runtime.InteropServices;
using Builder.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace Builder.Engine.Io;

/// <summary>A pseudo-terminal pair: the engine keeps the master, the container gets the slave as stdio and console.</summary>
internal sealed class PseudoTerminal : IDisposable
{
    private PseudoTerminal(SafeFileHandle master, SafeFileHandle slave)
    {
        Master = master;
        Slave = slave;
    }

    public SafeFileHandle Master { get; }

    public SafeFileHandle Slave { get; }

    public static unsafe PseudoTerminal Open(TerminalSize size)
    {
        var master = LibC.open("/dev/ptmx", LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC, 0);
        if (master < 0)
        {
            throw LibC.Fail("open /dev/ptmx");
        }
        var masterHandle = new SafeFileHandle(master, ownsHandle: true);
        var unlock = 0;
        if (LibC.ioctl(master, LibC.TIOCSPTLCK, (nint)(&unlock)) != 0)
        {
            masterHandle.Dispose();
            throw LibC.Fail("unlocking the pseudo-terminal");
        }
        // TIOCGPTPEER opens the slave through the master, without a path lookup in /dev/pts.
        var slave = LibC.ioctl(master, LibC.TIOCGPTPEER, LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC);
        if (slave < 0)
        {
            masterHandle.Dispose();
            throw LibC.Fail("opening the pseudo-terminal's slave");
        }
        var pty = new PseudoTerminal(masterHandle, new SafeFileHandle(slave, ownsHandle: true));
        pty.Resize(size);
        return pty;
    }

    public unsafe void Resize(TerminalSize size)
    {
        if (Master.IsClosed)
        {
            return;
        }
        var winsize = new WinSize { Rows = size.Rows, Columns = size.Columns };
        LibC.ioctl((int)Master.DangerousGetHandle(), LibC.TIOCSWINSZ, (nint)(&winsize));
    }

    public void Dispose()
    {
        Master.Dispose();
        Slave.Dispose();
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }
}
