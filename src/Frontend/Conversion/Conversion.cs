using Builder.Frontend.Instructions;
using Builder.Frontend.Parser;
using Builder.Frontend.Shell;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Solver.Definition;

namespace Builder.Frontend.Conversion;

/// <summary>
/// The state of one conversion: stages, global ARGs, warnings. The per-instruction rules live
/// in the other parts of this class (Conversion.Config.cs, Conversion.Run.cs, Conversion.Copy.cs).
/// </summary>
internal sealed partial class Conversion
{
    /// <summary>PATH for images that define none, as Docker and BuildKit set it on Linux.</summary>
    internal const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];

    private readonly DockerfileAst _ast;
    private readonly ConvertOptions _options;
    private readonly ShellLex _shell;
    private readonly List<DockerfileWarning> _warnings = [];
    private readonly List<Stage> _stages = [];
    private readonly OrderedDictionary<string, string?> _globalArgs = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumedArgs = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _platformArgs;
    private readonly Dictionary<string, Vertex> _imageVertices = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImageConfig> _imageConfigs = new(StringComparer.Ordinal);
    private Vertex? _context;
    private Vertex? _scratch;
    private CancellationToken _cancellation;

    public Conversion(DockerfileAst ast, ConvertOptions options)
    {
        _ast = ast;
        _options = options;
        _shell = new ShellLex(ast.EscapeToken);
        _platformArgs = PredefinedArgs.Platform(options.BuildPlatform, options.TargetPlatform);
        _warnings.AddRange(ast.Warnings);
    }

    public async Task<ConversionResult> RunAsync(CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken;
        SplitStages();
        EvaluateGlobalArgs();
        ExpandFromLines();
        var target = FindTarget();
        await DispatchAsync(target).ConfigureAwait(false);
        WarnUnusedBuildArgs();

        var image = target.Snapshot();
        if (_options.Labels.Count > 0)
        {
            var labels = new Dictionary<string, string>(image.Config.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal);
            foreach (var (key, value) in _options.Labels)
            {
                labels[key] = value;
            }
            image = image with { Config = image.Config with { Labels = labels } };
        }
        var stages = _stages.Where(s => s.Status == DispatchStatus.Done)
            .Select(s => new StageResult(s.Index, s.Name, s.BaseName, s.Platform, s.Vertex, s.Snapshot(), s.BaseResolved))
            .ToList();
        var targetResult = stages.Single(s => s.Index == target.Index) with { Image = image };
        return new ConversionResult(
            target.Vertex is null ? null : new BuildDefinition(target.Vertex),
            image,
            targetResult,
            stages,
            _warnings);
    }

    /// <summary>Parses every instruction and groups them by FROM; only ARG may precede the first FROM.</summary>
    private void SplitStages()
    {
        if (_ast.Children.Count == 0)
        {
            throw new DockerfileException("the Dockerfile has no instructions");
        }
        Stage? current = null;
        var names = new Dictionary<string, Stage>(StringComparer.Ordinal);
        foreach (var node in _ast.Children)
        {
            var instruction = InstructionParser.Parse(node);
            switch (instruction)
            {
                case FromInstruction from:
                    current = new Stage(_stages.Count, from);
                    if (from.StageName is { } name)
                    {
                        if (names.TryGetValue(name, out var previous))
                        {
                            throw Error(node, $"duplicate stage name \"{name}\": already used by the FROM on line {previous.From.Node.StartLine}");
                        }
                        names[name] = current;
                    }
                    _stages.Add(current);
                    break;
                case ArgInstruction arg when current is null:
                    foreach (var kv in arg.Args)
                    {
                        _globalArgs.Remove(kv.Key);
                        _globalArgs.Add(kv.Key, kv.Value);
                    }
                    break;
                default:
                    if (current is null)
                    {
                        throw Error(node, $"{instruction.Keyword} comes before the first FROM: only ARG may precede FROM, every other instruction belongs to a build stage");
                    }
                    current.Instructions.Add(instruction);
                    break;
            }
        }
        if (_stages.Count == 0)
        {
            throw new DockerfileException("the Dockerfile has no FROM instruction: a build needs at least one stage (FROM <image>)", _ast.StartLine, _ast.StartLine);
        }
    }

    /// <summary>Global ARGs (before the first FROM) are evaluated in order; --build-arg wins.</summary>
    private void EvaluateGlobalArgs()
    {
        var evaluated = new OrderedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, defaultValue) in _globalArgs)
        {
            _consumedArgs.Add(key);
            string? value;
            if (_options.BuildArgs.TryGetValue(key, out var given))
            {
                value = given;
            }
            else if (defaultValue is not null)
            {
                var env = new VariableScope(PlatformArgsWith(evaluated));
                value = ExpandWord(defaultValue, env, FirstArgNode(key), "ARG");
            }
            else
            {
                value = null;
            }
            evaluated[key] = value;
        }
        _globalArgs.Clear();
        foreach (var (key, value) in evaluated)
        {
            _globalArgs.Add(key, value);
        }
    }

    private Node FirstArgNode(string key) =>
        _ast.Children.First(n => n.Keyword == "arg" && n.Arguments.Any(a => a == key || a.StartsWith(key + "=", StringComparison.Ordinal)));

    private OrderedDictionary<string, string?> PlatformArgsWith(IEnumerable<KeyValuePair<string, string?>> args)
    {
        var all = new OrderedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in _platformArgs)
        {
            all[key] = value;
        }
        foreach (var (key, value) in args)
        {
            all[key] = value;
        }
        return all;
    }

    /// <summary>FROM lines see only global ARGs (and the platform ARGs).</summary>
    private void ExpandFromLines()
    {
        var env = new VariableScope(PlatformArgsWith(_globalArgs));
        foreach (var stage in _stages)
        {
            var node = stage.From.Node;
            var result = Expand(stage.From.BaseName, env, node, "FROM");
            if (string.IsNullOrWhiteSpace(result.Result))
            {
                var names = result.Unmatched.Concat(result.Matched).Distinct().ToList();
                var why = names.Count == 0
                    ? ""
                    : $": {string.Join(", ", names.Select(n => "ARG " + n))} {(names.Count == 1 ? "has" : "have")} no value (declare it before the first FROM with a default, or pass --build-arg {names[0]}=...)";
                throw Error(node, $"FROM {stage.From.BaseName}: the base image name is empty{why}");
            }
            stage.BaseName = result.Result;
            stage.Platform = _options.TargetPlatform;
            if (stage.From.Platform is { } platformText)
            {
                var platform = Expand(platformText, env, node, "FROM").Result;
                try
                {
                    stage.Platform = Platform.Parse(platform);
                }
                catch (FormatException e)
                {
                    throw Error(node, $"FROM --platform: {e.Message}");
                }
            }
        }
    }

    private Stage FindTarget()
    {
        if (_options.Target is not { } target)
        {
            return _stages[^1];
        }
        var stage = _stages.FirstOrDefault(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase));
        if (stage is not null)
        {
            return stage;
        }
        var names = _stages.Where(s => s.Name is not null).Select(s => s.Name!).ToList();
        var hint = ClosestMatch.Find(target, names);
        var message = $"target stage \"{target}\" could not be found" +
            (hint is not null ? $"; did you mean \"{hint}\"?" : names.Count > 0 ? $"; the stages are: {string.Join(", ", names)}" : "; the Dockerfile names no stages (FROM <image> AS <name>)");
        throw new DockerfileException(message);
    }

    private async Task DispatchAsync(Stage stage)
    {
        _cancellation.ThrowIfCancellationRequested();
        switch (stage.Status)
        {
            case DispatchStatus.Done:
                return;
            case DispatchStatus.InProgress:
                throw Error(stage.From.Node, $"circular dependency between stages: stage \"{stage.DisplayName}\" depends on itself");
        }
        stage.Status = DispatchStatus.InProgress;
        await InitializeBaseAsync(stage).ConfigureAwait(false);

        var triggers = TakeTriggers(stage);
        stage.StepTotal += triggers.Count;
        stage.InTrigger = true;
        foreach (var instruction in triggers)
        {
            await DispatchInstructionAsync(stage, instruction).ConfigureAwait(false);
        }
        stage.InTrigger = false;
        foreach (var instruction in stage.Instructions)
        {
            await DispatchInstructionAsync(stage, instruction).ConfigureAwait(false);
        }
        stage.Status = DispatchStatus.Done;
    }

    private async Task InitializeBaseAsync(Stage stage)
    {
        var node = stage.From.Node;
        var baseStage = _stages.FirstOrDefault(s => s.Index < stage.Index && string.Equals(s.Name, stage.BaseName, StringComparison.OrdinalIgnoreCase));
        var fromIsStep = baseStage is null && !string.Equals(stage.BaseName, "scratch", StringComparison.OrdinalIgnoreCase);
        stage.StepTotal = (fromIsStep ? 1 : 0) + stage.Instructions.Count(i => i is RunInstruction or CopyInstruction or WorkdirInstruction);
        if (_options.NamedContexts.ContainsKey(stage.BaseName))
        {
            var description = Describe(stage, node, $"FROM {stage.BaseName}");
            var (vertex, config) = await NamedContextAsync(stage.BaseName, stage.Platform, node).ConfigureAwait(false);
            stage.Vertex = vertex?.WithDescription(description);
            stage.Load(config ?? EmptyImage(stage.Platform));
            stage.BaseResolved = config is not null;
            return;
        }
        if (baseStage is not null)
        {
            await DispatchAsync(baseStage).ConfigureAwait(false);
            stage.BaseStage = baseStage;
            stage.Vertex = baseStage.Vertex;
            stage.Load(baseStage.Snapshot());
            // As in BuildKit, a stage built on a stage keeps that stage's ARGs in scope
            // (their values reach expansions and RUN, never the image's Env).
            foreach (var (key, value) in baseStage.Args)
            {
                stage.Args[key] = value;
            }
            stage.ArgNames.AddRange(baseStage.ArgNames);
            stage.Platform = baseStage.Platform;
            stage.BaseResolved = baseStage.BaseResolved;
            return;
        }
        if (string.Equals(stage.BaseName, "scratch", StringComparison.OrdinalIgnoreCase))
        {
            stage.Vertex = null;
            stage.Load(EmptyImage(stage.Platform));
            stage.BaseResolved = true;
            return;
        }
        if (!ImageReference.TryParse(stage.BaseName, out var reference, out var error))
        {
            var hint = ClosestMatch.Find(stage.BaseName, _stages.Where(s => s.Name is not null && s.Index < stage.Index).Select(s => s.Name!));
            throw Error(node, $"FROM {stage.BaseName}: invalid image reference: {error}" + (hint is null ? "" : $" (did you mean the stage \"{hint}\"?)"));
        }
        var (imageVertex, imageConfig) = await ImageSourceAsync(reference, stage.Platform, node).ConfigureAwait(false);
        stage.Vertex = imageVertex.WithDescription(Describe(stage, node, $"FROM {reference}"));
        stage.Load(imageConfig ?? EmptyImage(stage.Platform));
        stage.BaseResolved = imageConfig is not null;
    }

    /// <summary>ONBUILD triggers of the base run first, then are cleared from the new image's config.</summary>
    private List<Instruction> TakeTriggers(Stage stage)
    {
        var triggers = stage.Image.Config.OnBuild;
        if (triggers is null || triggers.Count == 0)
        {
            return [];
        }
        stage.Image = stage.Image with { Config = stage.Image.Config with { OnBuild = null } };
        var from = stage.From.Node;
        var result = new List<Instruction>();
        foreach (var trigger in triggers)
        {
            try
            {
                var parsed = DockerfileParser.Parse(trigger);
                foreach (var node in parsed.Children)
                {
                    // Triggers come from the base image, so errors and progress point at FROM.
                    var located = new Node
                    {
                        Keyword = node.Keyword,
                        Flags = node.Flags,
                        Arguments = node.Arguments,
                        IsJson = node.IsJson,
                        Nested = node.Nested,
                        Original = node.Original,
                        Heredocs = node.Heredocs,
                        StartLine = from.StartLine,
                        EndLine = from.EndLine,
                    };
                    var instruction = InstructionParser.Parse(located);
                    if (instruction is FromInstruction or OnbuildInstruction or MaintainerInstruction)
                    {
                        throw new DockerfileException($"{instruction.Keyword} isn't allowed as an ONBUILD trigger", from.StartLine, from.EndLine);
                    }
                    result.Add(instruction);
                }
            }
            catch (DockerfileException e)
            {
                throw Error(from, $"ONBUILD trigger \"{trigger}\" of base {stage.BaseName}: {e.Message}");
            }
        }
        return result;
    }

    private Task DispatchInstructionAsync(Stage stage, Instruction instruction) => instruction switch
    {
        ArgInstruction arg => Sync(() => DispatchArg(stage, arg)),
        EnvInstruction env => Sync(() => DispatchEnv(stage, env)),
        LabelInstruction label => Sync(() => DispatchLabel(stage, label)),
        MaintainerInstruction maintainer => Sync(() => DispatchMaintainer(stage, maintainer)),
        RunInstruction run => DispatchRunAsync(stage, run),
        CmdInstruction cmd => Sync(() => DispatchCmd(stage, cmd)),
        EntrypointInstruction entrypoint => Sync(() => DispatchEntrypoint(stage, entrypoint)),
        CopyInstruction copy => DispatchCopyAsync(stage, copy),
        ExposeInstruction expose => Sync(() => DispatchExpose(stage, expose)),
        VolumeInstruction volume => Sync(() => DispatchVolume(stage, volume)),
        UserInstruction user => Sync(() => DispatchUser(stage, user)),
        WorkdirInstruction workdir => Sync(() => DispatchWorkdir(stage, workdir)),
        OnbuildInstruction onbuild => Sync(() => DispatchOnbuild(stage, onbuild)),
        StopSignalInstruction signal => Sync(() => DispatchStopSignal(stage, signal)),
        HealthcheckInstruction health => Sync(() => DispatchHealthcheck(stage, health)),
        ShellInstruction shell => Sync(() => DispatchShell(stage, shell)),
        FromInstruction from => throw Error(from.Node, "FROM inside a stage"),
        _ => throw new InvalidOperationException("unhandled instruction " + instruction.GetType().Name),
    };

    private static Task Sync(Action action)
    {
        action();
        return Task.CompletedTask;
    }

    private void WarnUnusedBuildArgs()
    {
        var unused = _options.BuildArgs.Keys
            .Where(k => !_consumedArgs.Contains(k) && !PredefinedArgs.Proxy.Contains(k) && !_platformArgs.ContainsKey(k))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (unused.Count > 0)
        {
            _warnings.Add(new DockerfileWarning(
                "UnusedBuildArgs",
                $"build arguments [{string.Join(", ", unused)}] were not consumed: no ARG in the stages built declares them",
                0,
                0));
        }
    }

    // ---- shared helpers ----

    private static ImageConfig EmptyImage(Platform platform) => new()
    {
        Architecture = platform.Architecture,
        Os = platform.Os,
        Variant = platform.Variant,
        // BuildKit's emptyImage: a scratch stage starts in "/" with the default PATH.
        Config = new ContainerConfig { Env = ["PATH=" + DefaultPath], WorkingDir = "/" },
    };

    private static VariableScope Scope(Stage stage) => new(stage.Args, stage.Env);

    private ShellWordResult Expand(string word, IShellEnvironment env, Node node, string keyword)
    {
        try
        {
            return _shell.ProcessWord(word, env);
        }
        catch (ShellExpansionException e)
        {
            throw Error(node, $"{keyword}: {e.Message}");
        }
    }

    private string ExpandWord(string word, IShellEnvironment env, Node node, string keyword) => Expand(word, env, node, keyword).Result;

    private string ExpandWord(Stage stage, string word, Instruction instruction) =>
        Expand(word, Scope(stage), instruction.Node, instruction.Keyword).Result;

    private IReadOnlyList<string> ExpandWords(Stage stage, string word, Instruction instruction)
    {
        try
        {
            return _shell.ProcessWords(word, Scope(stage));
        }
        catch (ShellExpansionException e)
        {
            throw Error(instruction.Node, $"{instruction.Keyword}: {e.Message}");
        }
    }

    private VertexDescription Describe(Stage stage, Node node, string? text = null)
    {
        // BuildKit names a step fired by a base image's ONBUILD "ONBUILD <instruction>".
        var shown = (stage.InTrigger ? "ONBUILD " : "") + (text ?? OneLine(node.Original));
        var ignoreCache = _options.NoCache
            || (stage.Name is not null && _options.NoCacheFilter.Contains(stage.Name))
            || _options.NoCacheFilter.Contains(stage.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new VertexDescription(NumberedStep(stage, shown), stage.DisplayName, node.StartLine, node.EndLine)
        {
            IgnoreCache = ignoreCache,
        };
    }

    /// <summary>
    /// BuildKit's step name: <c>[stage n/total] text</c>, the stage left out when the Dockerfile
    /// has a single stage and copies from no image, and n padded to the width of total
    /// (<c>[ 1/12]</c>). Each call takes the stage's next number.
    /// </summary>
    private string NumberedStep(Stage stage, string shown)
    {
        if (stage.StepTotal == 0)
        {
            return shown;
        }
        stage.StepIndex++;
        var total = stage.StepTotal.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var index = stage.StepIndex.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(total.Length);
        var label = _stages.Count == 1 && !CopiesFromAnImage(_stages[0]) ? "" : stage.DisplayName + " ";
        return $"[{label}{index}/{total}] {shown}";
    }

    /// <summary>Whether a COPY --from names an image: BuildKit then counts it as a second stage.</summary>
    private static bool CopiesFromAnImage(Stage stage) =>
        stage.Instructions.OfType<CopyInstruction>().Any(c => c.From is { } from && !int.TryParse(from, out _)
            && !string.Equals(from, stage.Name, StringComparison.OrdinalIgnoreCase));

    private static string OneLine(string text)
    {
        var line = string.Join(" ", text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        return line.Length > 200 ? line[..197] + "..." : line;
    }

    private void AddHistory(Stage stage, string createdBy, bool emptyLayer)
    {
        var entry = new HistoryEntry { CreatedBy = createdBy, Comment = "buildkit.dockerfile.v0", EmptyLayer = emptyLayer ? true : null };
        stage.History.Add(entry);
    }

    private Vertex Scratch => _scratch ??= new Vertex(SourceOp.Scratch);

    private Vertex Context => _context ??= new Vertex(
        new SourceOp(SourceKind.Local, "context", _options.ContextExcludes.Count == 0
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { [SourceOp.Attr.Exclude] = string.Join("\n", _options.ContextExcludes) }),
        [],
        new VertexDescription("[internal] load build context"));

    private async Task<(Vertex Vertex, ImageConfig? Config)> ImageSourceAsync(ImageReference reference, Platform platform, Node node)
    {
        var key = reference + "|" + platform;
        if (_imageVertices.TryGetValue(key, out var cached))
        {
            return (cached, _imageConfigs.GetValueOrDefault(key));
        }
        var attrs = new Dictionary<string, string> { [SourceOp.Attr.Platform] = platform.ToString() };
        ImageConfig? config = null;
        if (_options.ImageResolver is { } resolver)
        {
            ResolvedImage resolved;
            try
            {
                resolved = await resolver.ResolveAsync(reference, platform, _cancellation).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not DockerfileException)
            {
                throw Error(node, $"{reference.ToFamiliarString()}: {e.Message}");
            }
            attrs[SourceOp.Attr.ImageDigest] = resolved.ManifestDigest;
            config = resolved.Config;
            _imageConfigs[key] = config;
        }
        var vertex = new Vertex(new SourceOp(SourceKind.Image, reference.ToString(), attrs), [], new VertexDescription($"[internal] load metadata for {reference}"));
        _imageVertices[key] = vertex;
        return (vertex, config);
    }

    /// <summary>A --build-context value: an image, an OCI layout or a local directory.</summary>
    private async Task<(Vertex? Vertex, ImageConfig? Config)> NamedContextAsync(string name, Platform platform, Node node)
    {
        var value = _options.NamedContexts[name];
        const string imagePrefix = "docker-image://";
        const string ociPrefix = "oci-layout://";
        if (value.StartsWith(imagePrefix, StringComparison.Ordinal))
        {
            var text = value[imagePrefix.Length..];
            if (!ImageReference.TryParse(text, out var reference, out var error))
            {
                throw Error(node, $"build context \"{name}\": {error}");
            }
            return await ImageSourceAsync(reference, platform, node).ConfigureAwait(false);
        }
        if (value.StartsWith(ociPrefix, StringComparison.Ordinal))
        {
            var layout = new SourceOp(SourceKind.Image, value, new Dictionary<string, string> { [SourceOp.Attr.Platform] = platform.ToString() });
            return (new Vertex(layout, [], new VertexDescription($"[internal] load {value}")), null);
        }
        var local = new SourceOp(SourceKind.Local, "context:" + name, new Dictionary<string, string>());
        return (new Vertex(local, [], new VertexDescription($"[internal] load build context {name}")), null);
    }

    private static DockerfileException Error(Node node, string message) => new(message, node.StartLine, node.EndLine);

    private static IReadOnlyList<string> ShellOf(Stage stage) => stage.Image.Config.Shell is { Count: > 0 } shell ? shell : DefaultShell;
}
