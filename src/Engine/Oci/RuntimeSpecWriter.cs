using System.Text.Json;
using System.Text.Json.Nodes;
using Builder.Engine.Wire;

namespace Builder.Engine.Oci;

/// <summary>
/// Writes an OCI runtime-spec config.json with the native executor's semantics: the same
/// namespaces, mounts, masked and read-only paths, default capabilities and credentials, and the
/// same insecure mode (<see cref="PrivilegedMode"/>).
/// </summary>
internal static class RuntimeSpecWriter
{
    private static readonly string[] MaskedPaths =
    [
        "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/acpi", "/proc/asound",
        "/proc/latency_stats", "/proc/timer_stats", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"];

    public sealed record Inputs(
        ContainerSpec Spec,
        ResolvedUser User,
        string[] Env,
        string WorkingDir,
        TerminalSize? Terminal,
        IReadOnlyList<(string ContainerPath, string Source)> EtcFiles,
        string? CgroupsPath,
        bool CgroupNamespace);

    public static string Write(Inputs inputs)
    {
        var spec = inputs.Spec;
        var privileged = spec.Privileged;
        var caps = new JsonArray((privileged ? PrivilegedMode.Names(PrivilegedMode.CurrentCapabilities()) : DefaultCapabilities.All.Select(c => c.Name))
            .Select(c => (JsonNode)c).ToArray());
        var process = new JsonObject
        {
            ["terminal"] = inputs.Terminal is not null,
            ["user"] = new JsonObject
            {
                ["uid"] = inputs.User.Uid,
                ["gid"] = inputs.User.Gid,
                ["additionalGids"] = new JsonArray(inputs.User.AdditionalGids.Select(g => (JsonNode)g).ToArray()),
            },
            ["args"] = new JsonArray(spec.Args.Select(a => (JsonNode)a).ToArray()),
            ["env"] = new JsonArray(inputs.Env.Select(e => (JsonNode)e).ToArray()),
            ["cwd"] = inputs.WorkingDir,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = caps.DeepClone(),
                ["effective"] = caps.DeepClone(),
                ["permitted"] = caps.DeepClone(),
            },
            ["noNewPrivileges"] = false,
        };
        if (privileged)
        {
            // As BuildKit's insecure mode: inheritable and ambient too, so a non-root USER keeps them.
            var sets = (JsonObject)process["capabilities"]!;
            sets["inheritable"] = caps.DeepClone();
            sets["ambient"] = caps.DeepClone();
        }
        if (inputs.Terminal is { } size)
        {
            process["consoleSize"] = new JsonObject { ["height"] = size.Rows, ["width"] = size.Columns };
        }

        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", privileged ? "rw" : "ro"),
        };
        foreach (var (containerPath, source) in inputs.EtcFiles)
        {
            mounts.Add(Mount(containerPath, "bind", source, "rbind", "ro"));
        }
        foreach (var mount in spec.Mounts)
        {
            mounts.Add(mount switch
            {
                BindMount b => Mount(b.Destination, "bind", b.Source, "rbind", b.ReadOnly ? "ro" : "rw"),
                TmpfsMount t => t.SizeBytes > 0
                    ? Mount(t.Destination, "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755", $"size={t.SizeBytes}")
                    : Mount(t.Destination, "tmpfs", "tmpfs", "nosuid", "nodev", "mode=755"),
                _ => throw new ArgumentException($"unsupported mount {mount}"),
            });
        }

        var namespaces = new JsonArray(new[] { "pid", "ipc", "uts", "mount" }
            // Host shares the runtime's network namespace; so does Default, where the runtime
            // supervisor created a new one with the NAT attached before starting the runtime.
            .Concat(spec.Network == NetworkMode.None ? ["network"] : [])
            .Concat(inputs.CgroupNamespace ? ["cgroup"] : [])
            .Select(n => (JsonNode)new JsonObject { ["type"] = n })
            .ToArray());
        var linux = new JsonObject
        {
            ["namespaces"] = namespaces,
            ["maskedPaths"] = new JsonArray((privileged ? [] : MaskedPaths).Select(p => (JsonNode)p).ToArray()),
            ["readonlyPaths"] = new JsonArray((privileged ? [] : ReadonlyPaths).Select(p => (JsonNode)p).ToArray()),
            ["resources"] = new JsonObject
            {
                // Device cgroup: deny all, then what /dev holds (the runtime adds its defaults
                // too); insecure mode allows every character and block device, as BuildKit does.
                ["devices"] = privileged
                    ? new JsonArray(
                        new JsonObject { ["allow"] = true, ["type"] = "c", ["access"] = "rwm" },
                        new JsonObject { ["allow"] = true, ["type"] = "b", ["access"] = "rwm" })
                    : new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
            },
        };
        if (privileged)
        {
            linux["devices"] = new JsonArray(PrivilegedMode.Devices().Select(d => (JsonNode)new JsonObject
            {
                ["path"] = d.Path,
                ["type"] = d.Block ? "b" : "c",
                ["major"] = d.Major,
                ["minor"] = d.Minor,
                ["fileMode"] = 0x1B0, // 0660
                ["uid"] = 0,
                ["gid"] = 0,
            }).ToArray());
        }
        if (inputs.CgroupsPath is not null)
        {
            linux["cgroupsPath"] = inputs.CgroupsPath;
        }

        var config = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = process,
            ["root"] = new JsonObject { ["path"] = Path.GetFullPath(spec.RootFs), ["readonly"] = spec.ReadOnlyRootFs },
            ["hostname"] = spec.Hostname,
            ["mounts"] = mounts,
            ["linux"] = linux,
        };
        return config.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static JsonNode Mount(string destination, string type, string source, params string[] options) => new JsonObject()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray(options.Select(o => (JsonNode)o).ToArray()),
    };
}
