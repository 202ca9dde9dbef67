using System.Runtime.InteropServices;
using System.Text;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

namespace Builder.Engine.Init;

/// <summary>
/// The command with everything its child needs laid out in unmanaged memory before fork: argv,
/// envp, the candidate paths from PATH, the credentials and the status lines for each failure.
/// The child (<see cref="ExecInChild"/>) then only makes syscalls: it never allocates, so the
/// managed runtime's state copied by fork is never touched.
/// </summary>
internal sealed unsafe class PreparedCommand
{
    private byte** _argv;
    private byte** _envp;
    private byte*[] _candidates = [];
    private byte* _workingDir;
    private byte* _expectedCwd;
    private uint _uid, _gid;
    private uint* _groups;
    private int _groupCount;
    private bool _tty;
    private bool _privileged;
    private FailLine _notFound, _notExecutable, _badCwd, _credentials;

    /// <param name="privileged">Insecure mode: the command keeps every capability (see <see cref="PrivilegedMode"/>).</param>
    public static PreparedCommand Create(string[] args, string[] env, ResolvedUser user, string workingDir, bool tty, bool privileged)
    {
        if (args.Length == 0)
        {
            throw new InvalidDataException("no command given");
        }
        var command = new PreparedCommand
        {
            _argv = StringArray(args),
            _envp = StringArray(env),
            _workingDir = CString(workingDir),
            _expectedCwd = CString(workingDir),
            _uid = user.Uid,
            _gid = user.Gid,
            _groupCount = user.AdditionalGids.Length,
            _groups = (uint*)NativeMemory.Alloc((nuint)Math.Max(1, user.AdditionalGids.Length), sizeof(uint)),
            _tty = tty,
            _privileged = privileged,
        };
        for (var i = 0; i < user.AdditionalGids.Length; i++)
        {
            command._groups[i] = user.AdditionalGids[i];
        }
        var name = args[0];
        var candidates = Candidates(name, env).ToArray();
        command._candidates = new byte*[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            command._candidates[i] = CString(candidates[i]);
        }
        command._notFound = new FailLine(StartFailureKind.CommandNotFound,
            name.Contains('/') ? $"{name}: no such file or directory" : $"exec: \"{name}\": executable file not found in $PATH");
        command._notExecutable = new FailLine(StartFailureKind.CommandNotExecutable, $"{name}: permission denied or not an executable");
        command._badCwd = new FailLine(StartFailureKind.InvalidWorkingDirectory, $"working directory {workingDir} is not a directory inside the root filesystem");
        command._credentials = new FailLine(StartFailureKind.SetupFailed, $"switching to uid {user.Uid} gid {user.Gid} and dropping capabilities failed");
        return command;
    }

    /// <summary>Runs in the forked child: credentials, capabilities, working directory, exec. Never returns.</summary>
    public void ExecInChild()
    {
        LibC.setsid();
        if (_tty)
        {
            LibC.ioctl(0, LibC.TIOCSCTTY, 0);
        }
        if (!(_privileged ? KeepAllCapabilities() : DropPrivileges()))
        {
            _credentials.WriteAndExit(125);
        }
        // chdir as the target user, then make sure the kernel agrees the directory is inside our root.
        var cwd = stackalloc byte[4096];
        if (LibC.chdir(_workingDir) != 0 || LibC.getcwd(cwd, 4096) == null || !SameString(cwd, _expectedCwd))
        {
            _badCwd.WriteAndExit(125);
        }
        ResetSignals();
        // Every fd but stdio is closed by exec; the status pipe stays usable until then.
        LibC.close_range(3, uint.MaxValue, LibC.CLOSE_RANGE_CLOEXEC);

        var denied = false;
        foreach (var path in _candidates)
        {
            LibC.execve(path, _argv, _envp);
            var errno = LibC.Errno;
            if (errno is LibC.EACCES or LibC.EPERM or LibC.ENOEXEC or LibC.EISDIR)
            {
                denied = true;
            }
            else if (errno is not (LibC.ENOENT or LibC.ENOTDIR or LibC.ENAMETOOLONG or LibC.ELOOP))
            {
                _notExecutable.WriteAndExit(126);
            }
        }
        if (denied)
        {
            _notExecutable.WriteAndExit(126);
        }
        _notFound.WriteAndExit(127);
    }

    /// <summary>
    /// Bounding set cut to Docker's defaults, no inheritable or ambient capabilities, then the
    /// ids. Root keeps the default set (exec gives uid 0 its bounding set); for any other uid
    /// setresuid clears permitted and effective, and exec keeps them empty.
    /// </summary>
    private bool DropPrivileges()
    {
        for (var cap = 0; cap < 64; cap++)
        {
            if (!DefaultCapabilities.Contains(cap) && LibC.prctl(LibC.PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
            {
                if (LibC.Errno != LibC.EINVAL)
                {
                    return false;
                }
                break; // past the kernel's last capability: every higher number is invalid too
            }
        }
        LibC.prctl(LibC.PR_CAP_AMBIENT, LibC.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        var header = new LibC.CapHeader { Version = LibC.LINUX_CAPABILITY_VERSION_3 };
        var data = stackalloc LibC.CapData[2];
        if (LibC.capget(&header, data) != 0)
        {
            return false;
        }
        data[0].Inheritable = 0;
        data[1].Inheritable = 0;
        if (LibC.capset(&header, data) != 0)
        {
            return false;
        }
        return LibC.setgroups(_groupCount, _groups) == 0
            && LibC.setresgid(_gid, _gid, _gid) == 0
            && LibC.setresuid(_uid, _uid, _uid) == 0;
    }

    /// <summary>
    /// Insecure mode: the bounding set stays whole, and every permitted capability is made
    /// effective, inheritable and ambient, so the command keeps them all across setresuid and exec
    /// whatever its uid (BuildKit gives the same sets).
    /// </summary>
    private bool KeepAllCapabilities()
    {
        if (LibC.prctl(LibC.PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0
            || LibC.setgroups(_groupCount, _groups) != 0
            || LibC.setresgid(_gid, _gid, _gid) != 0
            || LibC.setresuid(_uid, _uid, _uid) != 0)
        {
            return false;
        }
        var header = new LibC.CapHeader { Version = LibC.LINUX_CAPABILITY_VERSION_3 };
        var data = stackalloc LibC.CapData[2];
        if (LibC.capget(&header, data) != 0)
        {
            return false;
        }
        for (var i = 0; i < 2; i++)
        {
            data[i].Effective = data[i].Permitted;
            data[i].Inheritable = data[i].Permitted;
        }
        if (LibC.capset(&header, data) != 0)
        {
            return false;
        }
        for (var cap = 0; cap < 64; cap++)
        {
            var permitted = (data[cap / 32].Permitted & (1u << (cap % 32))) != 0;
            if (permitted && LibC.prctl(LibC.PR_CAP_AMBIENT, LibC.PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private static void ResetSignals()
    {
        const nint SIG_DFL = 0;
        for (var sig = 1; sig < 65; sig++)
        {
            if (sig is not (LibC.SIGKILL or LibC.SIGSTOP or 32 or 33))
            {
                LibC.signal(sig, SIG_DFL);
            }
        }
        var empty = stackalloc ulong[16]; // glibc's sigset_t is 128 bytes
        LibC.sigprocmask(LibC.SIG_SETMASK, empty, null);
    }

    private static IEnumerable<string> Candidates(string name, string[] env)
    {
        if (name.Contains('/'))
        {
            return [name];
        }
        var path = env.LastOrDefault(e => e.StartsWith("PATH=", StringComparison.Ordinal))?[5..] ?? "";
        return path.Split(':').Select(dir => (dir.Length == 0 ? "." : dir) + "/" + name);
    }

    private static bool SameString(byte* a, byte* b)
    {
        for (var i = 0; ; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
            if (a[i] == 0)
            {
                return true;
            }
        }
    }

    private static byte* CString(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        return p;
    }

    private static byte** StringArray(string[] strings)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)strings.Length + 1, (nuint)sizeof(nint));
        for (var i = 0; i < strings.Length; i++)
        {
            array[i] = CString(strings[i]);
        }
        array[strings.Length] = null;
        return array;
    }

    /// <summary>A status line encoded before fork; errno is appended without allocating.</summary>
    private readonly struct FailLine(StartFailureKind kind, string message)
    {
        private readonly byte* _text = CString(StatusProtocol.FailLine(kind, message));

        public void WriteAndExit(int code)
        {
            var length = 0;
            while (_text[length] != 0)
            {
                length++;
            }
            Status.WriteRaw(_text, length);
            LibC._exit(code);
        }
    }
}
