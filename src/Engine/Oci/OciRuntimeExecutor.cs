using Builder.Engine.Cgroups;
using Builder.Engine.Interop;
using Builder.Engine.Io;
using Builder.Engine.Native;
using Builder.Engine.Network;
using Builder.Engine.Wire;

namespace Builder.Engine.Oci;

/// <summary>
/// Runs containers through an OCI runtime (runc, crun, or a path): writes a runtime-spec bundle
/// with the native executor's semantics and runs it in the foreground. USER, the working
/// directory and the command are checked on the host first (reading the rootfs as plain data),
/// so both executors report the same failures. Limits are set on a parent cgroup that the engine
/// owns, so an OOM kill stays observable after the runtime has removed its own cgroup. The runtime
/// runs under builder-init's supervisor, which kills the container through that cgroup when the
/// run is cancelled or the engine dies.
/// </summary>
public sealed class OciRuntimeExecutor : IExecutor
{
    private readonly EngineOptions _options;
    private readonly CgroupHierarchy _cgroups = CgroupHierarchy.Host;

    /// <param name="runtime">"runc", "crun" (looked up in PATH) or a path to an OCI runtime binary.</param>
    public OciRuntimeExecutor(string runtime, EngineOptions? options = null)
    {
        RuntimePath = Resolve(runtime);
        _options = options ?? new EngineOptions();
        if (!File.Exists(_options.InitPath))
        {
            throw new FileNotFoundException($"the init helper {_options.InitPath} (the runtime's supervisor) is missing; it is built with Builder.Engine", _options.InitPath);
        }
    }

    public string RuntimePath { get; }

    public async Task<ContainerExit> RunAsync(ContainerSpec spec, ContainerIo io, CancellationToken cancellationToken = default)
    {
        spec.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        string? nat = null;
        if (spec.Network == NetworkMode.Default && (nat = NatBinary.Find(_options)) is null)
        {
            return NatBinary.Missing(_options);
        }
        LeftoverSweeper.SweepOnce(_options.StateRoot, _cgroups);

        using var state = ContainerStateDirectory.Create(_options.StateRoot);
        var cgroup = _cgroups.Create(state.Id, spec.Limits);
        var runtimeRoot = Path.Combine(state.Path, "runtime");
        var started = false;
        List<string> stubs = [];
        try
        {
            ResolvedUser user;
            string workingDir;
            try
            {
                user = UserResolver.Resolve(spec.User, RootfsFiles.ReadSmallFile(spec.RootFs, "/etc/passwd"), RootfsFiles.ReadSmallFile(spec.RootFs, "/etc/group"));
                workingDir = WorkingDirectory.Create(spec.RootFs, spec.WorkingDir);
            }
            catch (UnknownUserException e)
            {
                return new ContainerExit(125, Failure: new StartFailure(StartFailureKind.UnknownUser, e.Message));
            }
            catch (PathEscapeException e)
            {
                return new ContainerExit(125, Failure: new StartFailure(StartFailureKind.InvalidWorkingDirectory, e.Message));
            }
            var env = EnvironmentDefaults.Apply(spec.Env, user);
            if (RootfsFiles.CheckCommand(spec.RootFs, spec.Args[0], env) is { } failure)
            {
                return new ContainerExit(failure.Kind == StartFailureKind.CommandNotFound ? 127 : 126, Failure: failure);
            }

            // The runtime creates missing mount points in the rootfs; they are removed afterwards.
            stubs = MountStubs.MissingBefore(spec.RootFs,
                new[] { "/proc", "/dev", "/sys", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname" }.Concat(spec.Mounts.Select(m => m.Destination)));
            var bundle = Directory.CreateDirectory(Path.Combine(state.Path, "bundle")).FullName;
            var etcFiles = new List<(string, string)>
            {
                ("/etc/hosts", state.WriteFile("hosts", EtcFiles.Hosts(spec))),
                ("/etc/resolv.conf", state.WriteFile("resolv.conf", EtcFiles.ResolvConf(spec))),
                ("/etc/hostname", state.WriteFile("hostname", EtcFiles.Hostname(spec))),
            };
            // A child of our cgroup: the runtime removes its own cgroup, ours keeps the limits and OOM record.
            var cgroupsPath = $"/builder/{state.Id}/runtime";
            File.WriteAllText(Path.Combine(bundle, "config.json"), RuntimeSpecWriter.Write(new RuntimeSpecWriter.Inputs(
                spec, user, env, workingDir, io.Terminal, etcFiles, cgroupsPath, cgroup.IsUnified)));

            using var stdio = ContainerStdio.Create(io);
            using var lifeline = Pipe.Create();
            using var statusPipe = Pipe.Create();
            // The runtime runs under builder-init's supervisor: when the lifeline closes (cancel,
            // or this process dies) it kills the container through our cgroup. In network mode
            // "default" the supervisor also runs the NAT and puts the runtime in its namespace.
            string[] natArgs = nat is null ? []
                : spec.AllowHostLoopback ? ["--nat", nat, "--nat-allow-host-loopback"]
                : ["--nat", nat];
            var runtime = InitProcess.Start(
                _options.InitPath,
                [_options.InitPath, "--runtime-supervisor", string.Join(':', cgroup.Directories), .. natArgs, RuntimePath, "--root", runtimeRoot, "run", "--bundle", bundle, state.Id],
                [.. stdio.ChildFds, Pipe.Fd(statusPipe.Write), Pipe.Fd(lifeline.Read)],
                RuntimeEnvironment());
            lifeline.Read.Dispose();
            statusPipe.Write.Dispose();
            started = true;
            stdio.Start();
            int status;
            string statusText;
            await using (cancellationToken.Register(() => lifeline.Write.Dispose()).ConfigureAwait(false))
            {
                statusText = await Pipe.ReadToEndAsync(statusPipe.Read).ConfigureAwait(false);
                status = await runtime.Exited.ConfigureAwait(false);
            }
            await stdio.OutputDone.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (HelperStatus.Parse(statusText).Failure is { } supervisorFailure)
            {
                return new ContainerExit(125, Failure: supervisorFailure);
            }
            var oomKilled = cgroup.OomKills() > 0;
            if (LibC.WIFSIGNALED(status))
            {
                throw new InvalidOperationException($"the supervisor of {RuntimePath} was killed by signal {LibC.WTERMSIG(status)}");
            }
            // The runtime exits with the container's status, 128+N for a signal (so, as with Docker,
            // a command's own "exit 130" reads as signal 2 here; the native executor tells them apart).
            var code = LibC.WEXITSTATUS(status);
            int? signal = code is > 128 and <= 128 + 64 ? code - 128 : null;
            return new ContainerExit(code, signal, oomKilled && signal == LibC.SIGKILL);
        }
        finally
        {
            if (started)
            {
                await RunQuietlyAsync([RuntimePath, "--root", runtimeRoot, "delete", "--force", state.Id]).ConfigureAwait(false);
            }
            MountStubs.Remove(spec.RootFs, stubs);
            cgroup.Destroy();
            ContainerCgroup.DestroyDirectories(_cgroups.DirectoriesOf(state.Id));
        }
    }


    private static string[] RuntimeEnvironment() =>
        [$"PATH={Environment.GetEnvironmentVariable("PATH") ?? EnvironmentDefaults.DefaultPath}"];

    private static async Task RunQuietlyAsync(string[] args)
    {
        var devNull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        try
        {
            var process = InitProcess.Start(args[0], args, [devNull, devNull, devNull]);
            await process.Exited.ConfigureAwait(false);
        }
        finally
        {
            LibC.close(devNull);
        }
    }

    private static string Resolve(string runtime)
    {
        if (runtime.Contains('/'))
        {
            return File.Exists(runtime) ? Path.GetFullPath(runtime) : throw new FileNotFoundException($"OCI runtime {runtime} not found", runtime);
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, runtime);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"OCI runtime '{runtime}' not found in PATH", runtime);
    }

    public override string ToString() => $"OCI runtime {RuntimePath}";

}
