using Builder.Engine.Interop;

namespace Builder.Engine.Wire;

/// <summary>
/// One message with a set of fds (SCM_RIGHTS) on a SOCK_SEQPACKET socket: how the engine hands a
/// container's stdio, status, lifeline and config fds to the init zygote.
/// </summary>
internal static unsafe class FdPassing
{
    public const int MaxFds = 8;

    // struct cmsghdr: size_t len; int level; int type; then the data, 8-byte aligned.
    private const int CmsgHeader = 16;

    /// <returns>0, or the errno of sendmsg.</returns>
    public static int Send(int socket, ReadOnlySpan<int> fds)
    {
        var control = stackalloc byte[CmsgHeader + (MaxFds * sizeof(int))];
        *(nuint*)control = (nuint)(CmsgHeader + (fds.Length * sizeof(int)));
        *(int*)(control + 8) = LibC.SOL_SOCKET;
        *(int*)(control + 12) = LibC.SCM_RIGHTS;
        for (var i = 0; i < fds.Length; i++)
        {
            ((int*)(control + CmsgHeader))[i] = fds[i];
        }
        byte payload = 1;
        var iov = new LibC.IoVec { Base = &payload, Length = 1 };
        var message = new LibC.MsgHdr
        {
            Iov = &iov,
            IovLength = 1,
            Control = control,
            ControlLength = (nuint)(CmsgHeader + ((fds.Length * sizeof(int) + 7) & ~7)),
        };
        while (LibC.sendmsg(socket, &message, LibC.MSG_NOSIGNAL) < 0)
        {
            if (LibC.Errno != LibC.EINTR)
            {
                return LibC.Errno;
            }
        }
        return 0;
    }

    /// <returns>The number of fds received (written to <paramref name="fds"/>), 0 at end of stream, -1 on error (errno set).</returns>
    public static int Receive(int socket, Span<int> fds)
    {
        var control = stackalloc byte[CmsgHeader + (MaxFds * sizeof(int))];
        byte payload;
        var iov = new LibC.IoVec { Base = &payload, Length = 1 };
        var message = new LibC.MsgHdr
        {
            Iov = &iov,
            IovLength = 1,
            Control = control,
            ControlLength = (nuint)(CmsgHeader + (MaxFds * sizeof(int))),
        };
        var n = LibC.recvmsg(socket, &message, 0);
        if (n <= 0)
        {
            return (int)n;
        }
        if (message.ControlLength < CmsgHeader || *(int*)(control + 8) != LibC.SOL_SOCKET || *(int*)(control + 12) != LibC.SCM_RIGHTS)
        {
            return fds.Length == 0 ? 0 : -2; // a message without fds
        }
        var count = Math.Min((int)((*(nuint*)control - CmsgHeader) / sizeof(int)), fds.Length);
        for (var i = 0; i < count; i++)
        {
            fds[i] = ((int*)(control + CmsgHeader))[i];
        }
        return count;
    }
}
