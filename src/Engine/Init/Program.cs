using System.Text.Json;
using Builder.Engine.Init;
using Builder.Engine.Interop;
using Builder.Engine.Wire;

// builder-init CONFIG.json ENGINE-PID
// Started by the engine with fd 0-2 = the container's stdio, fd 3 = status pipe, fd 4 = lifeline.
// builder-init --runtime-supervisor CGROUP-DIRS RUNTIME ARGS... (fd 4 = lifeline): see RuntimeSupervisor.
if (args.Length > 2 && args[0] == RuntimeSupervisor.Flag)
{
    LibC.close_range(StatusProtocol.LifelineFd + 1, uint.MaxValue, 0);
    return RuntimeSupervisor.Run(args, Environment.GetEnvironmentVariables().Keys.Cast<string>()
        .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").ToArray());
}
if (args.Length != 2 || !int.TryParse(args[1], out var enginePid))
{
    Console.Error.WriteLine("usage: builder-init CONFIG.json ENGINE-PID (started by Builder.Engine, not by hand)");
    return 2;
}

// Die with the engine: if it is killed, this process gets SIGKILL and so does the container's init.
LibC.prctl(LibC.PR_SET_PDEATHSIG, LibC.SIGKILL, 0, 0, 0);
if (LibC.getppid() != enginePid)
{
    return 1; // the engine died before the line above took effect
}
// Nothing the engine's process had open reaches the container.
LibC.close_range(StatusProtocol.LifelineFd + 1, uint.MaxValue, 0);

InitConfig config;
try
{
    config = JsonSerializer.Deserialize(File.ReadAllBytes(args[0]), InitConfigJson.Default.InitConfig)
        ?? throw new InvalidDataException("empty config");
}
catch (Exception e)
{
    Status.Fail(Builder.Engine.StartFailureKind.SetupFailed, "reading the container config: " + e.Message);
    return 0;
}
return Supervisor.Run(config);
