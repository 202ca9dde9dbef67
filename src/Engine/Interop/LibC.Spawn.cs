using System.Runtime.InteropServices;

namespace Builder.Engine.Interop;

/// <summary>posix_spawn: how the engine starts helpers without forking the .NET runtime.</summary>
internal static unsafe partial class LibC
{
    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary>Opaque glibc types, over-allocated (posix_spawnattr_t is 336 bytes, file actions 80, sigset_t 128).</summary>
    public const int SpawnAttrSize = 512, FileActionsSize = 256, SigSetSize = 128;

    [LibraryImport(Lib)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport(Lib)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Lib)]
    public static partial int sigfillset(void* sigset);

    [LibraryImport(Lib)]
    public static partial int sigemptyset(void* sigset);
}
