using System.Text.Json;
using Builder.Engine.Init;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

// builder-init --zygote ENGINE-PID
// Started once per engine process with fd 3 = a SOCK_SEQPACKET socket. For each container the
// engine sends one message carrying six fds (the container's stdio, the status pipe, the lifeline,
// the config memfd); the zygote forks a helper which takes them as fds 0-5. Forking an already
// started NativeAOT process saves the 2-3 ms a fresh start (exec, loader, runtime init) costs.
// builder-init ENGINE-PID
// The same helper started directly: fd 0-2 = the container's stdio, fd 3 = status pipe,
// fd 4 = lifeline, fd 5 = the config (a memfd).
// builder-init --runtime-supervisor CGROUP-DIRS RUNTIME ARGS... (fd 4 = lifeline): see RuntimeSupervisor.
if (args.Length > 2 && args[0] == RuntimeSupervisor.Flag)
{
    LibC.close_range(StatusProtocol.LifelineFd + 1, uint.MaxValue, 0);
    return RuntimeSupervisor.Run(args, Environment.GetEnvironmentVariables().Keys.Cast<string>()
        .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").ToArray());
}
if (args.Length == 2 && args[0] == Zygote.Flag && int.TryParse(args[1], out var engine))
{
    return Zygote.Run(engine, RunHelper);
}
if (args.Length != 1 || !int.TryParse(args[0], out var enginePid))
{
    Console.Error.WriteLine("usage: builder-init ENGINE-PID (started by Builder.Engine, not by hand)");
    return 2;
}
return RunHelper(enginePid);

static int RunHelper(int parentPid)
{
    // Die with the engine (or the zygote, which dies with the engine): if it is killed, this
    // process gets SIGKILL and so does the container's init.
    LibC.prctl(LibC.PR_SET_PDEATHSIG, LibC.SIGKILL, 0, 0, 0);
    if (LibC.getppid() != parentPid)
    {
        return 1; // the parent died before the line above took effect
    }
    // Nothing the engine's process had open reaches the container.
    LibC.close_range(StatusProtocol.ConfigFd + 1, uint.MaxValue, 0);

    InitConfig config;
    try
    {
        using var configFd = new Microsoft.Win32.SafeHandles.SafeFileHandle(StatusProtocol.ConfigFd, ownsHandle: true);
        var json = new byte[RandomAccess.GetLength(configFd)];
        for (var done = 0; done < json.Length;)
        {
            var n = RandomAccess.Read(configFd, json.AsSpan(done), done);
            done += n > 0 ? n : throw new InvalidDataException("short read");
        }
        config = JsonSerializer.Deserialize(json, InitConfigJson.Default.InitConfig)
            ?? throw new InvalidDataException("empty config");
    }
    catch (Exception e)
    {
        Status.Fail(Builder.Engine.StartFailureKind.SetupFailed, "reading the container config: " + e.Message);
        return 0;
    }
    return Supervisor.Run(config);
}
