using System.Runtime.InteropServices;
using System.Text;
using Builder.Engine.Interop;

namespace Builder.Engine.Native;

/// <summary>
/// A helper process (builder-init, or an OCI runtime) started with posix_spawn and a chosen fd
/// table, and waited for on its own thread. Spawning and waiting on the same dedicated thread
/// matters: the helper's PR_SET_PDEATHSIG fires when the spawning *thread* exits, so that thread
/// lives exactly as long as the helper.
/// </summary>
internal sealed class InitProcess
{
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private InitProcess(int pid) => Pid = pid;

    public int Pid { get; }

    /// <summary>Completes with the raw wait(2) status.</summary>
    public Task<int> Exited => _exited.Task;

    /// <param name="fds">The child's fd table: fds[i] becomes fd i (stdin, stdout, stderr, then extras).</param>
    public static InitProcess Start(string path, IReadOnlyList<string> args, IReadOnlyList<int> fds, IReadOnlyList<string>? env = null) =>
        StartAsync(path, args, fds, env).GetAwaiter().GetResult();

    /// <summary>
    /// Like <see cref="Start"/>, but the caller awaits the spawn instead of blocking on it: a
    /// blocked thread-pool thread spin-waits (sched_yield) and, on a small machine, takes the CPU
    /// the helper needs to start. The fds must stay open until the task completes.
    /// </summary>
    public static Task<InitProcess> StartAsync(string path, IReadOnlyList<string> args, IReadOnlyList<int> fds, IReadOnlyList<string>? env = null)
    {
        var started = new TaskCompletionSource<InitProcess>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => SpawnAndWait(path, args, fds, env ?? [], started))
        {
            IsBackground = true,
            Name = "container helper " + Path.GetFileName(path),
        };
        thread.Start();
        return started.Task;
    }

    private static unsafe void SpawnAndWait(string path, IReadOnlyList<string> args, IReadOnlyList<int> fds, IReadOnlyList<string> env, TaskCompletionSource<InitProcess> started)
    {
        int pid;
        var strings = new List<nint>();
        var attr = NativeMemory.AllocZeroed(LibC.SpawnAttrSize);
        var actions = NativeMemory.AllocZeroed(LibC.FileActionsSize);
        var sigset = NativeMemory.AllocZeroed(LibC.SigSetSize);
        try
        {
            var argv = CStringArray(args, strings);
            var envp = CStringArray(env, strings);
            var cpath = CString(path, strings);
            LibC.posix_spawn_file_actions_init(actions);
            for (var i = 0; i < fds.Count; i++)
            {
                LibC.posix_spawn_file_actions_adddup2(actions, fds[i], i);
            }
            // .NET ignores SIGPIPE and blocks nothing we want inherited: the helper starts clean.
            LibC.posix_spawnattr_init(attr);
            LibC.posix_spawnattr_setflags(attr, LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK);
            LibC.sigfillset(sigset);
            LibC.posix_spawnattr_setsigdefault(attr, sigset);
            LibC.sigemptyset(sigset);
            LibC.posix_spawnattr_setsigmask(attr, sigset);
            var error = LibC.posix_spawn(&pid, cpath, actions, attr, argv, envp);
            LibC.posix_spawn_file_actions_destroy(actions);
            LibC.posix_spawnattr_destroy(attr);
            if (error != 0)
            {
                started.SetException(new InvalidOperationException($"starting {path}: {LibC.ErrorText(error)}"));
                return;
            }
        }
        finally
        {
            foreach (var p in strings)
            {
                NativeMemory.Free((void*)p);
            }
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(sigset);
        }

        var process = new InitProcess(pid);
        started.SetResult(process);
        int status;
        while (LibC.waitpid(pid, &status, 0) < 0)
        {
            if (LibC.Errno != LibC.EINTR)
            {
                process._exited.SetException(new InvalidOperationException($"waitpid {pid}: {LibC.ErrorText(LibC.Errno)}"));
                return;
            }
        }
        process._exited.SetResult(status);
    }

    private static unsafe byte* CString(string s, List<nint> owned)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        owned.Add((nint)p);
        return p;
    }

    private static unsafe byte** CStringArray(IReadOnlyList<string> strings, List<nint> owned)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)strings.Count + 1, (nuint)sizeof(nint));
        owned.Add((nint)array);
        for (var i = 0; i < strings.Count; i++)
        {
            array[i] = CString(strings[i], owned);
        }
        array[strings.Count] = null;
        return array;
    }
}
