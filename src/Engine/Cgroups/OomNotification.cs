using System.Globalization;
using Builder.Engine.Interop;

namespace Builder.Engine.Cgroups;

/// <summary>A cgroup v1 memory OOM notification: an eventfd registered through cgroup.event_control.</summary>
internal sealed unsafe class OomNotification : IDisposable
{
    private const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    private readonly int _eventFd;
    private readonly int _oomControlFd;

    private OomNotification(int eventFd, int oomControlFd)
    {
        _eventFd = eventFd;
        _oomControlFd = oomControlFd;
    }

    public static OomNotification Register(string memoryCgroup)
    {
        var eventFd = LibC.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        var oomControl = LibC.open(Path.Combine(memoryCgroup, "memory.oom_control"), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (eventFd < 0 || oomControl < 0)
        {
            var error = LibC.Fail("registering for OOM notifications");
            LibC.close(eventFd);
            LibC.close(oomControl);
            throw error;
        }
        var notification = new OomNotification(eventFd, oomControl);
        try
        {
            File.WriteAllText(Path.Combine(memoryCgroup, "cgroup.event_control"),
                string.Create(CultureInfo.InvariantCulture, $"{eventFd} {oomControl}"));
            return notification;
        }
        catch
        {
            notification.Dispose();
            throw;
        }
    }

    /// <summary>OOM events since registration (0 when none).</summary>
    public long Count()
    {
        ulong value;
        return LibC.read(_eventFd, (byte*)&value, 8) == 8 ? (long)value : 0;
    }

    public void Dispose()
    {
        LibC.close(_eventFd);
        LibC.close(_oomControlFd);
    }
}
