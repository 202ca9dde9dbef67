using Builder.Engine.Interop;

namespace Builder.Engine.Init;

/// <summary>
/// Makes the rootfs "/" and detaches the old root entirely (not just hidden by a chroot), using
/// pivot_root(".", ".") so that no directory has to be created in the rootfs for the old root.
/// </summary>
internal static unsafe class PivotRoot
{
    public static void Into(string rootFs)
    {
        var oldRoot = LibC.open("/", LibC.O_DIRECTORY | LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        var newRoot = LibC.open(rootFs, LibC.O_DIRECTORY | LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
        if (oldRoot < 0 || newRoot < 0)
        {
            throw LibC.Fail("opening the old and new root");
        }
        try
        {
            Check(LibC.fchdir(newRoot), "fchdir new root");
            var dot = stackalloc byte[] { (byte)'.', 0 };
            Check(LibC.pivot_root(dot, dot), "pivot_root");
            // The old root is now stacked on "."; detach it without propagating anything.
            Check(LibC.fchdir(oldRoot), "fchdir old root");
            Check(LibC.mount(null, ".", null, LibC.MS_SLAVE | LibC.MS_REC, null), "making the old root a slave");
            Check(LibC.umount2(".", LibC.MNT_DETACH), "detaching the old root");
            Check(LibC.chdir("/"), "chdir /");
        }
        finally
        {
            LibC.close(oldRoot);
            LibC.close(newRoot);
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw LibC.Fail(what);
        }
    }
}
