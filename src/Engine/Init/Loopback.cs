using Builder.Engine.Interop;

namespace Builder.Engine.Init;

/// <summary>Network mode "none": the new network namespace has only "lo", which starts down.</summary>
internal static unsafe class Loopback
{
    public static void BringUp()
    {
        const int AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
        const short IFF_UP = 1;
        var fd = LibC.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LibC.Fail("socket");
        }
        try
        {
            // struct ifreq: char ifr_name[16]; short ifr_flags; (padded to 40 bytes)
            var ifreq = stackalloc byte[40];
            ifreq[0] = (byte)'l';
            ifreq[1] = (byte)'o';
            if (LibC.ioctl(fd, LibC.SIOCGIFFLAGS, (nint)ifreq) != 0)
            {
                throw LibC.Fail("SIOCGIFFLAGS lo");
            }
            *(short*)(ifreq + 16) |= IFF_UP;
            if (LibC.ioctl(fd, LibC.SIOCSIFFLAGS, (nint)ifreq) != 0)
            {
                throw LibC.Fail("SIOCSIFFLAGS lo");
            }
        }
        finally
        {
            LibC.close(fd);
        }
    }
}
