using System.Globalization;
using Builder.Frontend.Instructions;
using Builder.Frontend.Parser;
using Builder.Oci.References;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>RUN: an exec op over the stage's filesystem, with its mounts, network and security mode.</summary>
internal sealed partial class Conversion
{
    private async Task DispatchRunAsync(Stage stage, RunInstruction instruction)
    {
        var inputs = new List<VertexInput>();
        int AddInput(Vertex vertex)
        {
            inputs.Add(new VertexInput(vertex));
            return inputs.Count - 1;
        }

        var mounts = new List<Mount> { new("/", stage.Vertex is null ? -1 : AddInput(stage.Vertex)) };
        var args = RunArgs(stage, instruction, out var scriptFile);
        if (scriptFile is not null)
        {
            mounts.Add(new Mount("/dev/pipes", AddInput(scriptFile), "/", ReadOnly: true));
        }

        foreach (var raw in instruction.Mounts)
        {
            var text = ExpandWord(stage, raw, instruction);
            RunMountSpec spec;
            try
            {
                spec = RunMountSpec.Parse(text);
            }
            catch (FormatException e)
            {
                throw Error(instruction.Node, $"RUN --mount={raw}: {e.Message}");
            }
            var target = spec.Target.Length == 0 ? "" : ContainerPath.Join(stage.Image.Config.WorkingDir ?? "/", spec.Target);
            var input = -1;
            if (spec.Type == MountType.Bind)
            {
                input = AddInput(spec.From is null ? Context : await ResolveFromAsync(stage, spec.From, instruction).ConfigureAwait(false));
            }
            else if (spec.Type == MountType.Cache && spec.From is not null)
            {
                input = AddInput(await ResolveFromAsync(stage, spec.From, instruction).ConfigureAwait(false));
            }
            mounts.Add(new Mount(target, input, spec.Source, spec.ReadOnly, spec.Type)
            {
                CacheId = spec.Type == MountType.Cache ? spec.Id : null,
                Sharing = spec.Sharing,
                SecretId = spec.Type is MountType.Secret or MountType.Ssh ? spec.Id : null,
                SecretEnv = spec.Env,
                Required = spec.Required,
                Mode = spec.Mode,
                Uid = spec.Uid,
                Gid = spec.Gid,
                TmpfsSize = spec.Size,
            });
        }

        var network = ParseNetwork(instruction);
        var security = ParseSecurity(instruction);
        var env = RunEnvironment(stage);
        var op = new ExecOp(args, env, stage.Image.Config.WorkingDir ?? "/", stage.Image.Config.User ?? "", mounts, network, security);
        stage.Vertex = new Vertex(op, inputs, Describe(stage, instruction.Node, "RUN " + OneLine(RunText(instruction))));
        AddHistory(stage, RunHistory(stage, args), emptyLayer: false);
    }

    /// <summary>
    /// The process's arguments. Heredocs: a lone <c>RUN &lt;&lt;EOF</c> runs its body as the
    /// script (with its own interpreter when it starts with #!); otherwise the shell gets the
    /// command line followed by the heredoc bodies, which it reads as here-documents itself.
    /// </summary>
    private IReadOnlyList<string> RunArgs(Stage stage, RunInstruction instruction, out Vertex? scriptFile)
    {
        scriptFile = null;
        var command = instruction.Command;
        if (!command.PrependShell)
        {
            return command.Args;
        }
        var shell = ShellOf(stage);
        var heredocs = instruction.Heredocs;
        if (heredocs.Count == 0)
        {
            return [.. shell, command.Args[0]];
        }
        var line = command.Args[0].Trim();
        if (heredocs.Count == 1 && IsHeredocWord(line, heredocs[0]))
        {
            var body = heredocs[0].Content;
            if (body.StartsWith("#!", StringComparison.Ordinal))
            {
                var name = heredocs[0].Name;
                scriptFile = new Vertex(new FileOp([new MkfileAction("/" + name, body, Convert.ToInt32("755", 8))], HasBase: false), [], new VertexDescription("[internal] heredoc " + name));
                return ["/dev/pipes/" + name];
            }
            return [.. shell, body];
        }
        var script = new System.Text.StringBuilder(command.Args[0]);
        foreach (var heredoc in heredocs)
        {
            script.Append('\n').Append(heredoc.Content).Append(heredoc.Name);
        }
        return [.. shell, script.ToString()];
    }

    private static bool IsHeredocWord(string word, Heredoc heredoc)
    {
        if (!word.StartsWith("<<", StringComparison.Ordinal))
        {
            return false;
        }
        var name = word[2..].TrimStart('-').Trim('"', '\'');
        return name == heredoc.Name;
    }

    private static string RunText(RunInstruction instruction) =>
        instruction.Command.PrependShell ? instruction.Command.Args[0] : instruction.Command.ToString();

    /// <summary>
    /// RUN sees the image's ENV, then the stage's ARGs that ENV does not shadow, then proxy
    /// variables given as build args (which never reach the image config or history).
    /// </summary>
    private IReadOnlyList<string> RunEnvironment(Stage stage)
    {
        var env = new List<string>(stage.Env.Count + stage.Args.Count);
        foreach (var (key, value) in stage.Env)
        {
            env.Add($"{key}={value}");
        }
        foreach (var (key, value) in stage.Args)
        {
            if (value is not null && !stage.Env.ContainsKey(key))
            {
                env.Add($"{key}={value}");
            }
        }
        foreach (var (key, value) in _options.BuildArgs.Where(a => PredefinedArgs.Proxy.Contains(a.Key)).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!stage.Env.ContainsKey(key) && !stage.Args.ContainsKey(key))
            {
                env.Add($"{key}={value}");
            }
        }
        return env;
    }

    /// <summary>
    /// BuildKit's text: every ARG declared in the stage (first-declared order, last value) as
    /// <c>|N K=V ...</c> before the command, with the value the command sees (ENV shadows the
    /// ARG) or empty when the ARG has none. History only: it never reaches the op digest.
    /// </summary>
    private static string RunHistory(Stage stage, IReadOnlyList<string> args)
    {
        var pairs = stage.ArgNames
            .Select(k => $"{k}={(stage.Env.TryGetValue(k, out var env) ? env : stage.Args[k] ?? "")}")
            .ToList();
        var prefix = pairs.Count == 0 ? "" : $"|{pairs.Count.ToString(CultureInfo.InvariantCulture)} {string.Join(" ", pairs)} ";
        return "RUN " + prefix + string.Join(" ", args) + " # buildkit";
    }

    private NetworkMode ParseNetwork(RunInstruction instruction) => instruction.Network?.ToLowerInvariant() switch
    {
        null or "default" => NetworkMode.Default,
        "none" => NetworkMode.None,
        "host" => NetworkMode.Host,
        var other => throw Error(instruction.Node, $"RUN --network={other}: unsupported network mode (valid: default, none, host)"),
    };

    private SecurityMode ParseSecurity(RunInstruction instruction) => instruction.Security?.ToLowerInvariant() switch
    {
        null or "sandbox" => SecurityMode.Sandbox,
        "insecure" => SecurityMode.Insecure,
        var other => throw Error(instruction.Node, $"RUN --security={other}: unsupported security mode (valid: sandbox, insecure)"),
    };

    /// <summary>
    /// Resolves a --from value: a named build context, a stage index, a stage name (converting
    /// that stage first), or else an image reference. A name one typo away from a stage is
    /// reported rather than pulled as an image.
    /// </summary>
    private async Task<Vertex> ResolveFromAsync(Stage stage, string rawFrom, Instruction instruction)
    {
        var from = ExpandWord(stage, rawFrom, instruction);
        if (from.Length == 0)
        {
            throw Error(instruction.Node, $"{instruction.Keyword} --from={rawFrom}: the value expands to an empty string");
        }
        if (_options.NamedContexts.ContainsKey(from))
        {
            var (vertex, _) = await NamedContextAsync(from, stage.Platform, instruction.Node).ConfigureAwait(false);
            return vertex ?? Scratch;
        }
        Stage? source;
        if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (index >= _stages.Count)
            {
                throw Error(instruction.Node, $"{instruction.Keyword} --from={from}: there is no stage {index} (stages are numbered 0 to {_stages.Count - 1})");
            }
            source = _stages[index];
        }
        else
        {
            source = _stages.FirstOrDefault(s => string.Equals(s.Name, from, StringComparison.OrdinalIgnoreCase));
        }
        if (source is not null)
        {
            if (source == stage)
            {
                throw Error(instruction.Node, $"{instruction.Keyword} --from={from}: a stage cannot copy from itself");
            }
            if (source.Status == DispatchStatus.InProgress)
            {
                throw Error(instruction.Node, $"circular dependency between stages: \"{stage.DisplayName}\" needs \"{source.DisplayName}\", which needs \"{stage.DisplayName}\"");
            }
            await DispatchAsync(source).ConfigureAwait(false);
            return source.Vertex ?? Scratch;
        }
        var stageNames = _stages.Where(s => s.Name is not null).Select(s => s.Name!).ToList();
        if (!from.Contains('/') && !from.Contains(':') && !from.Contains('@') && ClosestMatch.Find(from, stageNames) is { } hint)
        {
            throw Error(instruction.Node, $"{instruction.Keyword} --from={from}: no stage is named \"{from}\"; did you mean \"{hint}\"? (to use an image of that name, write its full reference, e.g. docker.io/library/{from}:latest)");
        }
        if (!ImageReference.TryParse(from, out var reference, out var error))
        {
            throw Error(instruction.Node, $"{instruction.Keyword} --from={from}: not a stage name nor a valid image reference ({error})");
        }
        var (imageVertex, _) = await ImageSourceAsync(reference, stage.Platform, instruction.Node).ConfigureAwait(false);
        return imageVertex;
    }
}
