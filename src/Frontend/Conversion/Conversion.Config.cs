using Builder.Frontend.Instructions;
using Builder.Oci.Image;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>Instructions that change only the image config (and WORKDIR, which also makes the directory).</summary>
internal sealed partial class Conversion
{
    private void DispatchArg(Stage stage, ArgInstruction instruction)
    {
        var written = new List<string>();
        foreach (var (key, defaultValue) in instruction.Args)
        {
            _consumedArgs.Add(key);
            string? value;
            if (_options.BuildArgs.TryGetValue(key, out var given))
            {
                value = given;
            }
            else if (defaultValue is not null)
            {
                value = ExpandWord(stage, defaultValue, instruction);
            }
            else if (_globalArgs.TryGetValue(key, out var global))
            {
                value = global;
            }
            else
            {
                value = _platformArgs.TryGetValue(key, out var platformValue) ? platformValue : null;
            }
            if (!stage.Args.ContainsKey(key))
            {
                stage.ArgNames.Add(key);
            }
            stage.Args.Remove(key);
            stage.Args.Add(key, value);
            written.Add(value is null ? key : $"{key}={value}");
        }
        AddHistory(stage, "ARG " + string.Join(" ", written), emptyLayer: true);
    }

    private void DispatchEnv(Stage stage, EnvInstruction instruction)
    {
        // Every value sees the environment from before this instruction: ENV A=2 B=$A uses the old A.
        var scope = Scope(stage);
        var expanded = instruction.Pairs
            .Select(p => (Key: ExpandWord(p.Key, scope, instruction.Node, "ENV"), Value: ExpandWord(p.Value ?? "", scope, instruction.Node, "ENV")))
            .ToList();
        foreach (var (key, value) in expanded)
        {
            if (key.Length == 0)
            {
                throw Error(instruction.Node, "ENV names can not be blank");
            }
            stage.Env[key] = value;
        }
        AddHistory(stage, "ENV " + string.Join(" ", expanded.Select(p => $"{p.Key}={p.Value}")), emptyLayer: true);
    }

    private void DispatchLabel(Stage stage, LabelInstruction instruction)
    {
        var scope = Scope(stage);
        var labels = new Dictionary<string, string>(stage.Image.Config.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var written = new List<string>();
        foreach (var pair in instruction.Pairs)
        {
            var key = ExpandWord(pair.Key, scope, instruction.Node, "LABEL");
            var value = ExpandWord(pair.Value ?? "", scope, instruction.Node, "LABEL");
            if (key.Length == 0)
            {
                throw Error(instruction.Node, "LABEL names can not be blank");
            }
            labels[key] = value;
            written.Add($"{key}={value}");
        }
        stage.Image = stage.Image with { Config = stage.Image.Config with { Labels = labels } };
        AddHistory(stage, "LABEL " + string.Join(" ", written), emptyLayer: true);
    }

    private void DispatchMaintainer(Stage stage, MaintainerInstruction instruction)
    {
        stage.Image = stage.Image with { Author = instruction.Maintainer };
        AddHistory(stage, "MAINTAINER " + instruction.Maintainer, emptyLayer: true);
    }

    private void DispatchCmd(Stage stage, CmdInstruction instruction)
    {
        var args = CommandArgs(stage, instruction.Command);
        // BuildKit marks every CMD as already escaped (ENTRYPOINT leaves the flag as it was).
        stage.Image = stage.Image with { Config = stage.Image.Config with { Cmd = args, ArgsEscaped = true } };
        stage.CmdSet = true;
        AddHistory(stage, "CMD " + GoQuotedList(args), emptyLayer: true);
    }

    private void DispatchEntrypoint(Stage stage, EntrypointInstruction instruction)
    {
        var args = CommandArgs(stage, instruction.Command);
        var config = stage.Image.Config with { Entrypoint = args };
        if (!stage.CmdSet)
        {
            // An inherited CMD was written for the old ENTRYPOINT; Docker drops it.
            config = config with { Cmd = null };
        }
        stage.Image = stage.Image with { Config = config };
        AddHistory(stage, "ENTRYPOINT " + GoQuotedList(args), emptyLayer: true);
    }

    private static IReadOnlyList<string> CommandArgs(Stage stage, CommandLine command) =>
        command.PrependShell ? [.. ShellOf(stage), command.Args[0]] : command.Args;

    private void DispatchExpose(Stage stage, ExposeInstruction instruction)
    {
        var ports = new Dictionary<string, EmptyObject>(stage.Image.Config.ExposedPorts ?? new Dictionary<string, EmptyObject>(), StringComparer.Ordinal);
        var added = new List<string>();
        foreach (var raw in instruction.Ports)
        {
            foreach (var word in ExpandWords(stage, raw, instruction))
            {
                try
                {
                    foreach (var port in PortSpec.Expand(word))
                    {
                        ports[port] = EmptyObject.Instance;
                        added.Add(port);
                    }
                }
                catch (FormatException e)
                {
                    throw Error(instruction.Node, "EXPOSE: " + e.Message);
                }
            }
        }
        stage.Image = stage.Image with { Config = stage.Image.Config with { ExposedPorts = ports } };
        AddHistory(stage, "EXPOSE " + GoList(added), emptyLayer: true);
    }

    private void DispatchVolume(Stage stage, VolumeInstruction instruction)
    {
        var volumes = new Dictionary<string, EmptyObject>(stage.Image.Config.Volumes ?? new Dictionary<string, EmptyObject>(), StringComparer.Ordinal);
        var added = new List<string>();
        foreach (var raw in instruction.Volumes)
        {
            var volume = ExpandWord(stage, raw, instruction).Trim();
            if (volume.Length == 0)
            {
                throw Error(instruction.Node, "VOLUME specified can not be an empty string");
            }
            volumes[volume] = EmptyObject.Instance;
            added.Add(volume);
        }
        stage.Image = stage.Image with { Config = stage.Image.Config with { Volumes = volumes } };
        AddHistory(stage, "VOLUME " + GoList(added), emptyLayer: true);
    }

    private void DispatchUser(Stage stage, UserInstruction instruction)
    {
        var user = ExpandWord(stage, instruction.User, instruction);
        if (user.Length == 0)
        {
            throw Error(instruction.Node, $"USER {instruction.User}: the user expands to an empty string");
        }
        stage.Image = stage.Image with { Config = stage.Image.Config with { User = user } };
        AddHistory(stage, "USER " + user, emptyLayer: true);
    }

    private void DispatchWorkdir(Stage stage, WorkdirInstruction instruction)
    {
        var path = ExpandWord(stage, instruction.Path, instruction);
        if (path.Length == 0)
        {
            throw Error(instruction.Node, $"WORKDIR {instruction.Path}: the path expands to an empty string");
        }
        var workdir = ContainerPath.Join(stage.Image.Config.WorkingDir ?? "/", path);
        stage.Image = stage.Image with { Config = stage.Image.Config with { WorkingDir = workdir } };
        if (workdir != "/")
        {
            var owner = stage.Image.Config.User is { Length: > 0 } u ? OwnershipOf(u) : null;
            var op = new FileOp([new MkdirAction(workdir) { Owner = owner }], HasBase: stage.Vertex is not null);
            stage.Vertex = new Vertex(op, stage.Vertex is null ? [] : [new VertexInput(stage.Vertex)], Describe(stage, instruction.Node, "WORKDIR " + workdir));
        }
        AddHistory(stage, "WORKDIR " + workdir, emptyLayer: workdir == "/");
    }

    private void DispatchOnbuild(Stage stage, OnbuildInstruction instruction)
    {
        // BuildKit records no history entry for ONBUILD: the trigger lives only in the config.
        stage.Image = stage.Image with { Config = stage.Image.Config with { OnBuild = [.. stage.Image.Config.OnBuild ?? [], instruction.Expression] } };
    }

    private void DispatchStopSignal(Stage stage, StopSignalInstruction instruction)
    {
        var signal = ExpandWord(stage, instruction.Signal, instruction);
        if (!SignalName.IsValid(signal))
        {
            throw Error(instruction.Node, $"STOPSIGNAL: invalid signal \"{signal}\" (use a name such as SIGTERM or a number from 1 to 64)");
        }
        stage.Image = stage.Image with { Config = stage.Image.Config with { StopSignal = signal } };
        AddHistory(stage, "STOPSIGNAL " + signal, emptyLayer: true);
    }

    private void DispatchHealthcheck(Stage stage, HealthcheckInstruction instruction)
    {
        static long? Nanoseconds(TimeSpan? value) => value is { } v ? v.Ticks * 100 : null;
        var health = new HealthConfig
        {
            Test = instruction.Test,
            Interval = Nanoseconds(instruction.Interval),
            Timeout = Nanoseconds(instruction.Timeout),
            StartPeriod = Nanoseconds(instruction.StartPeriod),
            StartInterval = Nanoseconds(instruction.StartInterval),
            Retries = instruction.Retries,
        };
        stage.Image = stage.Image with { Config = stage.Image.Config with { Healthcheck = health } };
        AddHistory(stage, "HEALTHCHECK " + JsonList(instruction.Test), emptyLayer: true);
    }

    private void DispatchShell(Stage stage, ShellInstruction instruction)
    {
        stage.Image = stage.Image with { Config = stage.Image.Config with { Shell = instruction.Shell } };
        AddHistory(stage, "SHELL " + GoList(instruction.Shell), emptyLayer: true);
    }

    private static Ownership OwnershipOf(string spec)
    {
        var colon = spec.IndexOf(':');
        return colon < 0 ? new Ownership(spec, null) : new Ownership(spec[..colon], spec[(colon + 1)..]);
    }

    // History texts are BuildKit's Go formatting: %v of a slice ("[a b]") and %q of one ("[\"a\" \"b\"]").
    private static string GoList(IEnumerable<string> items) => "[" + string.Join(" ", items) + "]";

    private static string GoQuotedList(IEnumerable<string> items) => "[" + string.Join(" ", items.Select(Parser.GoStringQuoter.Quote)) + "]";

    private static string JsonList(IEnumerable<string> items) =>
        System.Text.Json.JsonSerializer.Serialize(items.ToArray(), ConversionJsonContext.Default.StringArray);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class ConversionJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
