using System.Text;
using System.Text.Json;
using Builder.Engine.Cgroups;
using Builder.Engine.Io;
using Builder.Engine.Network;
using Builder.Engine.Wire;

namespace Builder.Engine.Native;

/// <summary>
/// The default executor: starts containers itself through the NativeAOT init helper
/// (builder-init), which creates the namespaces, builds the mount tree, pivots into the rootfs,
/// switches credentials and runs the command. This class only prepares files, cgroups and pipes,
/// so no privileged work and nothing from the rootfs ever happens in the .NET process.
/// </summary>
public sealed class NativeExecutor : IExecutor
{
    private readonly EngineOptions _options;
    private readonly CgroupHierarchy _cgroups;

    public NativeExecutor(EngineOptions? options = null)
        : this(options ?? new EngineOptions(), CgroupHierarchy.Host)
    {
    }

    internal NativeExecutor(EngineOptions options, CgroupHierarchy cgroups)
    {
        _options = options;
        _cgroups = cgroups;
        if (!File.Exists(options.InitPath))
        {
            throw new FileNotFoundException($"the init helper {options.InitPath} is missing; it is built with Builder.Engine", options.InitPath);
        }
        InitZygote.EnsureStarted(options.InitPath);
    }

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
        ContainerCgroup? cgroup = null;
        try
        {
            if (!spec.Limits.IsEmpty)
            {
                cgroup = _cgroups.Create(state.Id, spec.Limits);
            }
            var config = InitConfigFor(spec, io, state, cgroup, _cgroups.IsUnified, nat);
            using var configFd = ConfigMemfd(JsonSerializer.SerializeToUtf8Bytes(config, InitConfigJson.Default.InitConfig));

            using var stdio = ContainerStdio.Create(io);
            using var status = Pipe.Create();
            using var lifeline = Pipe.Create();
            InitZygote.Fork(_options.InitPath, [.. stdio.ChildFds, Pipe.Fd(status.Write), Pipe.Fd(lifeline.Read), Pipe.Fd(configFd)]);
            status.Write.Dispose();
            lifeline.Read.Dispose();
            configFd.Dispose();
            stdio.Start();

            // The helper holds the status pipe until it exits, which is after the container's
            // PID 1 (and with it every process of the pid namespace) is gone: EOF is the end.
            // Closing the lifeline makes the helper SIGKILL PID 1.
            string statusText;
            await using (cancellationToken.Register(() => lifeline.Write.Dispose()).ConfigureAwait(false))
            {
                statusText = await Pipe.ReadToEndAsync(status.Read).ConfigureAwait(false);
            }
            await stdio.OutputDone.ConfigureAwait(false);
            var reported = HelperStatus.Parse(statusText);
            MountStubs.Remove(spec.RootFs, reported.Stubs);
            var oomKilled = cgroup is not null && cgroup.OomKills() > 0;
            cancellationToken.ThrowIfCancellationRequested();
            return reported.ToExit(oomKilled)
                ?? throw new InvalidOperationException("the init helper ended without reporting a status");
        }
        finally
        {
            cgroup?.Destroy();
        }
    }

    private static InitConfig InitConfigFor(ContainerSpec spec, ContainerIo io, ContainerStateDirectory state, ContainerCgroup? cgroup, bool unifiedCgroups, string? nat) => new()
    {
        RootFs = Path.GetFullPath(spec.RootFs),
        Args = [.. spec.Args],
        Env = [.. spec.Env],
        WorkingDir = spec.WorkingDir,
        User = spec.User,
        Hostname = spec.Hostname,
        HostNetwork = spec.Network == NetworkMode.Host,
        Nat = nat is null ? null : new NatConfig { Path = nat, AllowHostLoopback = spec.AllowHostLoopback },
        ReadOnlyRootFs = spec.ReadOnlyRootFs,
        Privileged = spec.Privileged,
        Tty = io.Terminal is not null,
        EtcFiles =
        [
            new InitMount { ContainerPath = "/etc/hosts", Content = EtcFiles.Hosts(spec), ReadOnly = true },
            new InitMount { ContainerPath = "/etc/resolv.conf", Content = EtcFiles.ResolvConf(spec), ReadOnly = true },
            new InitMount { ContainerPath = "/etc/hostname", Content = EtcFiles.Hostname(spec), ReadOnly = true },
        ],
        EtcDirectory = state.Path,
        Mounts = spec.Mounts.Select(m => m switch
        {
            BindMount b => new InitMount { Kind = "bind", ContainerPath = b.Destination, Source = b.Source, ReadOnly = b.ReadOnly },
            TmpfsMount t => new InitMount { Kind = "tmpfs", ContainerPath = t.Destination, SizeBytes = t.SizeBytes },
            _ => throw new ArgumentException($"unsupported mount {m}"),
        }).ToArray(),
        CgroupProcs = cgroup?.ProcsFiles.ToArray() ?? [],
        // On cgroup v2 every container gets its own cgroup namespace, as Docker does.
        CgroupNamespace = unifiedCgroups,
    };

    /// <summary>The helper's config in memory (fd <see cref="StatusProtocol.ConfigFd"/>) rather than a file in the state directory.</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle ConfigMemfd(byte[] json)
    {
        var fd = Interop.LibC.memfd_create("builder-init-config", Interop.LibC.MFD_CLOEXEC);
        if (fd < 0)
        {
            throw Interop.LibC.Fail("memfd_create");
        }
        var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        RandomAccess.Write(handle, json, 0);
        return handle;
    }
}
