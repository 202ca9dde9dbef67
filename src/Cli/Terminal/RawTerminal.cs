using System.Runtime.InteropServices;
using Builder.Engine;

namespace Builder.Cli.Terminal;

/// <summary>
/// Puts the controlling terminal in raw mode for an interactive container (keys go to the
/// container's pty unprocessed, so Ctrl-C reaches its shell) and restores it on Dispose.
/// </summary>
internal sealed class RawTerminal : IDisposable
{
    private const int Stdin = 0;
    private const int TermiosSize = 60; // struct termios on Linux x86_64 and arm64
    private const int TcsaNow = 0;
    private const uint TiocGwinsz = 0x5413;
    private readonly byte[] _saved;

    private RawTerminal(byte[] saved) => _saved = saved;

    /// <summary>Raw mode on standard input, or null when it is not a terminal.</summary>
    public static RawTerminal? Enter()
    {
        if (isatty(Stdin) != 1)
        {
            return null;
        }
        var saved = new byte[TermiosSize];
        if (tcgetattr(Stdin, saved) != 0)
        {
            return null;
        }
        var raw = (byte[])saved.Clone();
        cfmakeraw(raw);
        tcsetattr(Stdin, TcsaNow, raw);
        return new RawTerminal(saved);
    }

    /// <summary>The terminal's size, or 80x24 when it cannot be read.</summary>
    public static TerminalSize Size()
    {
        var size = new ushort[4];
        return ioctl(Stdin, TiocGwinsz, size) == 0 && size[0] > 0 && size[1] > 0
            ? new TerminalSize(size[1], size[0])
            : new TerminalSize(80, 24);
    }

    public void Dispose() => tcsetattr(Stdin, TcsaNow, _saved);

    [DllImport("libc")]
    private static extern int isatty(int fd);

    [DllImport("libc")]
    private static extern int tcgetattr(int fd, [Out] byte[] termios);

    [DllImport("libc")]
    private static extern int tcsetattr(int fd, int actions, [In] byte[] termios);

    [DllImport("libc")]
    private static extern void cfmakeraw([In, Out] byte[] termios);

    [DllImport("libc")]
    private static extern int ioctl(int fd, uint request, [Out] ushort[] size);
}
