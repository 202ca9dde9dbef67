using System.Runtime.InteropServices;

namespace Builder.Engine.Interop;

/// <summary>
/// The few libc entry points and raw syscalls the engine and its init helper need. Declared
/// here (source-generated P/Invoke, so NativeAOT-safe) rather than pulled from a bindings
/// package so every call site sees exactly which syscall it makes.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    // open(2) flags (x86_64)
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100,
        O_TRUNC = 0x200, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    // mount(2)
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096,
        MS_REC = 16384, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_STRICTATIME = 1 << 24;
    public const int MNT_DETACH = 2;

    // clone/unshare flags
    public const int CLONE_NEWNS = 0x00020000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
        CLONE_NEWIPC = 0x08000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    // prctl
    public const int PR_SET_PDEATHSIG = 1, PR_SET_DUMPABLE = 4, PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_CAP_AMBIENT = 47,
        PR_CAP_AMBIENT_RAISE = 2, PR_CAP_AMBIENT_CLEAR_ALL = 4;

    // signals
    public const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGPIPE = 13,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGWINCH = 28;
    public const int SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;

    // errno
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EACCES = 13, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOEXEC = 8, ELOOP = 40, ENAMETOOLONG = 36, ECHILD = 10, EBUSY = 16, EPIPE = 32;

    // stat mode
    public const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;

    // ioctls
    public const ulong TIOCSCTTY = 0x540E, TIOCSWINSZ = 0x5414, TIOCGPTPEER = 0x5441, TIOCSPTLCK = 0x40045431, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;

    public const int WNOHANG = 1;
    public const uint CLOSE_RANGE_CLOEXEC = 4;

    private const long SYS_capget = 125, SYS_capset = 126, SYS_pivot_root = 155, SYS_pidfd_open = 434, SYS_close_range = 436;

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fstype, ulong flags, string? data);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setns(int fd, int nsType);

    public const int F_DUPFD = 0, F_SETFD = 2, FD_CLOEXEC = 1, F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    public const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, SOL_SOCKET = 1, SCM_RIGHTS = 1, MSG_NOSIGNAL = 0x4000;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr (x86_64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint sendmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* message, int flags);

    public const uint MFD_CLOEXEC = 1;

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fork();

    [LibraryImport(Lib, EntryPoint = "_exit")]
    public static partial void _exit(int status);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int sig);

    [LibraryImport(Lib)]
    public static partial int getpid();

    [LibraryImport(Lib)]
    public static partial int getppid();

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setsid();

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sethostname(byte* name, nint len);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chdir(string path);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int chdir(byte* path);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fchdir(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial byte* getcwd(byte* buf, nint size);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdir(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mknod(string path, uint mode, ulong dev);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int symlink(string target, string linkPath);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, byte* buf, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint pread(int fd, byte* buf, nint count, long offset);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int dup2(int oldFd, int newFd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int prctl(int option, nint arg2, nint arg3, nint arg4, nint arg5);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setgroups(nint size, uint* list);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setresgid(uint rgid, uint egid, uint sgid);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int setresuid(uint ruid, uint euid, uint suid);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int execve(byte* path, byte** argv, byte** envp);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint readlink(string path, byte* buf, nint size);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lstat(string path, byte* statBuf);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int stat(string path, byte* statBuf);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int fstat(int fd, byte* statBuf);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int sigprocmask(int how, ulong* set, ulong* oldSet);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int signalfd(int fd, ulong* mask, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint signal(int sig, nint handler);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(PollFd* fds, ulong count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Lib)]
    public static partial uint umask(uint mask);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int eventfd(uint initialValue, int flags);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirFd, string path, int flags, uint mode);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fstatat(int dirFd, string path, byte* statBuf, int flags);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlinkat(int dirFd, string path, int flags);

    public const int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200;

    [LibraryImport(Lib, SetLastError = true)]
    private static partial long syscall(long number, nint a1, nint a2, nint a3);

    public static int pivot_root(byte* newRoot, byte* putOld) => (int)syscall(SYS_pivot_root, (nint)newRoot, (nint)putOld, 0);

    public static int pidfd_open(int pid) => (int)syscall(SYS_pidfd_open, pid, 0, 0);

    public static int close_range(uint first, uint last, uint flags) => (int)syscall(SYS_close_range, (nint)first, (nint)last, (nint)flags);

    public static int capget(CapHeader* header, CapData* data) => (int)syscall(SYS_capget, (nint)header, (nint)data, 0);

    public static int capset(CapHeader* header, CapData* data) => (int)syscall(SYS_capset, (nint)header, (nint)data, 0);

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>A failed call as an exception whose message names the operation, the path and the errno text.</summary>
    public static SyscallException Fail(string what) => new(what, Errno);

    public static bool WIFEXITED(int status) => (status & 0x7f) == 0;
    public static int WEXITSTATUS(int status) => (status >> 8) & 0xff;
    public static bool WIFSIGNALED(int status) => ((status & 0x7f) + 1) >> 1 > 0 && (status & 0x7f) != 0x7f;
    public static int WTERMSIG(int status) => status & 0x7f;

    public static ulong Makedev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) | ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public const short POLLIN = 1, POLLHUP = 0x10, POLLERR = 0x8;

    [StructLayout(LayoutKind.Sequential)]
    public struct CapHeader
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CapData
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    public const uint LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    /// <summary>st_mode and st_size of struct stat on x86_64 glibc.</summary>
    public static (uint Mode, long Size) ModeAndSize(byte* statBuf) => (*(uint*)(statBuf + 24), *(long*)(statBuf + 48));

    public const int StatSize = 144;
}

/// <summary>A syscall failed; carries errno so callers can tell "missing" from "denied".</summary>
internal sealed class SyscallException(string what, int errno) : Exception($"{what}: {LibC.ErrorText(errno)}")
{
    public int Errno { get; } = errno;
}
