using System.CommandLine;
using System.Text.Json;
using Builder.Cli.Build;
using Builder.Cli.Output;
using Builder.Cli.Progress;
using Builder.Cli.Store;
using Builder.Engine;
using Builder.Exporter.Outputs;
using Builder.Exporter.Store;
using Builder.Frontend;
using Builder.Frontend.Conversion;
using Builder.Frontend.DockerIgnore;
using Builder.Frontend.Parser;
using Builder.Oci.Image;
using Builder.Solver;
using Builder.Solver.Execution;
using Builder.Solver.Progress;
using Builder.Solver.Scheduling;
using Builder.Solver.Sources;
using NetworkMode = Builder.Solver.Definition.NetworkMode;

namespace Builder.Cli.Commands;

/// <summary>
/// <c>builder build [OPTIONS] PATH|-</c>: the Dockerfile through the frontend, the solver and the
/// exporters, with docker/buildx flags. Without <c>-o</c> the image goes to the local store under
/// the <c>-t</c> names.
/// </summary>
internal static class BuildCommand
{
    public static Command Create(CliContext cli)
    {
        var file = new Option<string?>("--file", "-f") { Description = "Dockerfile (default: PATH/Dockerfile; '-' reads standard input)" };
        var tags = new Option<string[]>("--tag", "-t") { Description = "Name the image NAME[:TAG]; repeatable", AllowMultipleArgumentsPerToken = false };
        var buildArgs = new Option<string[]>("--build-arg") { Description = "Set a build argument: K=V, or K to take the value from the environment", AllowMultipleArgumentsPerToken = false };
        var target = new Option<string?>("--target") { Description = "Stage to build (default: the last stage)" };
        var noCache = new Option<bool>("--no-cache") { Description = "Run every step, even those cached" };
        var noCacheFilter = new Option<string[]>("--no-cache-filter") { Description = "Run the steps of these stages even if cached", AllowMultipleArgumentsPerToken = false };
        var pull = new Option<bool>("--pull") { Description = "Always check the registry for newer base images" };
        var labels = new Option<string[]>("--label") { Description = "Add a label to the image: K=V", AllowMultipleArgumentsPerToken = false };
        var platform = new Option<string?>("--platform") { Description = "Target platform (only the host's for now)" };
        var outputs = new Option<string[]>("--output", "-o") { Description = "Output: type=image|registry|docker|oci|local|tar[,dest=PATH|-][,name=N][,push=true]...", AllowMultipleArgumentsPerToken = false };
        var progress = new Option<string?>("--progress") { Description = "Progress output: auto, tty, plain, quiet, rawjson (default: auto)" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the image id" };
        var iidFile = new Option<string?>("--iidfile") { Description = "Write the image id to this file" };
        var metadataFile = new Option<string?>("--metadata-file") { Description = "Write build result metadata (digests, names) as JSON to this file" };
        var secrets = new Option<string[]>("--secret") { Description = "Expose a secret to RUN --mount=type=secret: id=X,src=FILE or id=X,env=VAR", AllowMultipleArgumentsPerToken = false };
        var buildContexts = new Option<string[]>("--build-context") { Description = "Extra named context: NAME=PATH, NAME=docker-image://REF or NAME=oci-layout://PATH", AllowMultipleArgumentsPerToken = false };
        var network = new Option<string?>("--network") { Description = "Network of RUN steps: default, none or host" };
        var allow = new Option<string[]>("--allow") { Description = "Allow an entitlement: network.host, security.insecure", AllowMultipleArgumentsPerToken = false };
        var context = new Argument<string>("PATH") { Description = "Build context directory, or - to read the Dockerfile from standard input with no context" };
        var command = new Command("build", "Build an image from a Dockerfile")
        {
            file, tags, buildArgs, target, noCache, noCacheFilter, pull, labels, platform, outputs, progress, quiet,
            iidFile, metadataFile, secrets, buildContexts, network, allow, context,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new BuildRequest
            {
                ContextArgument = parse.GetValue(context)!,
                File = parse.GetValue(file),
                Tags = parse.GetValue(tags) ?? [],
                BuildArgs = KeyValueArguments.Parse(parse.GetValue(buildArgs), "--build-arg", fromEnvironment: true),
                Labels = KeyValueArguments.Parse(parse.GetValue(labels), "--label", fromEnvironment: false),
                Target = parse.GetValue(target),
                NoCache = parse.GetValue(noCache),
                NoCacheFilter = (parse.GetValue(noCacheFilter) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal),
                Pull = parse.GetValue(pull),
                Platform = parse.GetValue(platform),
                Outputs = parse.GetValue(outputs) ?? [],
                Progress = parse.GetValue(quiet) ? "quiet" : parse.GetValue(progress),
                Quiet = parse.GetValue(quiet),
                IidFile = parse.GetValue(iidFile),
                MetadataFile = parse.GetValue(metadataFile),
                Secrets = parse.GetValue(secrets) ?? [],
                BuildContexts = parse.GetValue(buildContexts) ?? [],
                Network = parse.GetValue(network),
                Allow = parse.GetValue(allow) ?? [],
            };
            using var store = StoreSession.Open(parse);
            return await RunAsync(cli, store, request, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, StoreSession store, BuildRequest request, CancellationToken cancellationToken)
    {
        var fromStdin = request.ContextArgument == "-";
        var contextDir = fromStdin ? EmptyContext(store) : Path.GetFullPath(request.ContextArgument);
        if (!Directory.Exists(contextDir))
        {
            throw new UsageException($"the build context {request.ContextArgument} is not a directory");
        }
        var source = DockerfileSource.Read(fromStdin ? request.File ?? "-" : request.File, contextDir, cli.In);
        if (request.Platform is { } platformText && !PlatformIsHost(platformText))
        {
            throw new UsageException($"--platform {platformText}: only the host platform ({Platform.Host}) can be built for now");
        }
        var outputs = request.Outputs.Select(o =>
        {
            try
            {
                return OutputSpec.Parse(o);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--output {o}: {e.Message}");
            }
        }).ToList();
        if (outputs.Count == 0)
        {
            outputs.Add(OutputSpec.Parse("type=image"));
        }
        var defaultNetwork = request.Network switch
        {
            null or "" or "default" => NetworkMode.Default,
            "none" => NetworkMode.None,
            "host" => NetworkMode.Host,
            var other => throw new UsageException($"--network {other}: expected default, none or host"),
        };
        foreach (var entitlement in request.Allow)
        {
            if (entitlement is not "network.host" and not "security.insecure")
            {
                throw new UsageException($"--allow {entitlement}: expected network.host or security.insecure");
            }
        }
        var mode = ProgressModes.TryParse(request.Progress, out var parsedMode)
            ? parsedMode
            : throw new UsageException($"--progress {request.Progress}: expected one of {string.Join(", ", ProgressModes.Names)}");
        var secretSource = SecretArguments.Parse(request.Secrets);
        var (namedContexts, localDirs) = NamedContexts(request.BuildContexts);
        localDirs["context"] = contextDir;

        var isTerminal = ReferenceEquals(cli, CliContext.Console) && !Console.IsErrorRedirected;
        await using var renderer = ProgressRendererFactory.Create(mode, cli.Error, isTerminal);
        void Warn(string text) => renderer.Report(new BuildMessage(DateTimeOffset.UtcNow, MessageLevel.Warning, text));
        var policy = request.Pull ? PullPolicy.Always : PullPolicy.Default;
        var images = new MemoizedImageSource(store.Puller);

        ConversionResult conversion;
        try
        {
            var ast = DockerfileParser.Parse(source.Text);
            conversion = await DockerfileConverter.ConvertAsync(ast, new ConvertOptions
            {
                DockerfileName = source.DisplayName,
                Target = request.Target,
                BuildArgs = request.BuildArgs,
                Labels = request.Labels,
                ContextExcludes = DockerIgnoreLoader.Load(contextDir, source.Path),
                NamedContexts = namedContexts,
                NoCache = request.NoCache,
                NoCacheFilter = request.NoCacheFilter,
                ImageResolver = new FrontendImageResolver(images, policy, Warn),
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerfileException e)
        {
            await renderer.DisposeAsync().ConfigureAwait(false);
            DockerfileErrorPrinter.PrintError(cli.Error, source.DisplayName, source.Text, e);
            return ExitCodes.Failure;
        }
        foreach (var warning in conversion.Warnings)
        {
            Warn($"{source.DisplayName}:{warning.StartLine}: {warning.Message} ({warning.Rule})");
        }

        var executor = Executors.Create();
        try
        {
            var solver = new BuildSolver(store.Root, executor);
            var solved = await solver.SolveAsync(conversion.Definition!, new SolveOptions
            {
                LocalDirs = localDirs,
                Images = images,
                PullPolicy = policy,
                NoCache = request.NoCache,
                DefaultNetwork = defaultNetwork,
                AllowNetworkHost = defaultNetwork == NetworkMode.Host || request.Allow.Contains("network.host"),
                AllowInsecure = request.Allow.Contains("security.insecure"),
                Secrets = secretSource,
                SourceFile = source.DisplayName,
                SourceLines = source.Text.Split('\n'),
            }, renderer, cancellationToken).ConfigureAwait(false);

            var config = ImageHistory.Reconcile(conversion.Image, solved.Layers.Count);
            var result = new BuildResult(solved.Layers, solved.TopSnapshot, config, request.Tags);
            var exporter = new ImageExporter(store.Images, store.Registry, cli.StdoutStream);
            var epoch = SourceDateEpoch();
            ExportResult? imageResult = null;
            var number = solved.LastNumber;
            foreach (var output in outputs)
            {
                var exported = await ExportAsync(renderer, exporter, output, result, epoch, ++number, cancellationToken).ConfigureAwait(false);
                if (exported.ConfigDigest is not null)
                {
                    imageResult ??= exported;
                }
            }
            await renderer.FinishAsync(BuildOutcome.Succeeded).ConfigureAwait(false);
            await WriteResultFilesAsync(cli, request, imageResult, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        catch (StepFailedException e)
        {
            await renderer.FinishAsync(BuildOutcome.Failed(e.Failure, e.VertexName)).ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await renderer.FinishAsync(BuildOutcome.Canceled).ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        finally
        {
            (executor as IDisposable)?.Dispose();
        }
    }

    /// <summary>Runs one export as its own progress vertex, so its time shows and its failure reads like a step's.</summary>
    private static async Task<ExportResult> ExportAsync(IProgressSink progress, ImageExporter exporter, OutputSpec output, BuildResult result, long? epoch, int number, CancellationToken cancellationToken)
    {
        var name = output.Type switch
        {
            Exporter.Outputs.OutputType.Image => "exporting to image",
            Exporter.Outputs.OutputType.Registry => "exporting to image and pushing",
            var t => $"exporting to {t.ToString().ToLowerInvariant()}" + (output.Dest is { } d ? $" ({(d == "-" ? "stdout" : d)})" : ""),
        };
        var id = "export:" + name;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        progress.Report(new VertexStatus(DateTimeOffset.UtcNow, id, number, name, VertexState.Running));
        try
        {
            var exported = await exporter.ExportAsync(output, result, epoch, cancellationToken).ConfigureAwait(false);
            progress.Report(new VertexStatus(DateTimeOffset.UtcNow, id, number, name, VertexState.Done, clock.Elapsed));
            return exported;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException or ArgumentException or UnauthorizedAccessException or Oci.Registry.RegistryException or HttpRequestException or FormatException)
        {
            var failure = new StepFailure($"{name}: {e.Message}");
            progress.Report(new VertexStatus(DateTimeOffset.UtcNow, id, number, name, VertexState.Failed, clock.Elapsed, failure));
            throw new StepFailedException(name, failure, e);
        }
    }

    private static async Task WriteResultFilesAsync(CliContext cli, BuildRequest request, ExportResult? image, CancellationToken cancellationToken)
    {
        if (image?.ConfigDigest is { } id)
        {
            if (request.Quiet)
            {
                await cli.Out.WriteLineAsync(id).ConfigureAwait(false);
            }
            if (request.IidFile is { } iid)
            {
                await File.WriteAllTextAsync(iid, id, cancellationToken).ConfigureAwait(false);
            }
        }
        if (request.MetadataFile is { } metadataPath)
        {
            var metadata = image?.ToMetadata() ?? new Dictionary<string, string>();
            await File.WriteAllTextAsync(metadataPath, JsonSerializer.Serialize(metadata, BuildJson.Default.IReadOnlyDictionaryStringString), cancellationToken).ConfigureAwait(false);
        }
    }

    private static (Dictionary<string, string> Named, Dictionary<string, string> LocalDirs) NamedContexts(IEnumerable<string> values)
    {
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        var local = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var eq = value.IndexOf('=');
            if (eq <= 0 || eq == value.Length - 1)
            {
                throw new UsageException($"--build-context {value}: expected NAME=PATH, NAME=docker-image://REF or NAME=oci-layout://PATH");
            }
            var name = value[..eq];
            var target = value[(eq + 1)..];
            if (target.StartsWith("docker-image://", StringComparison.Ordinal) || target.StartsWith("oci-layout://", StringComparison.Ordinal))
            {
                named[name] = target;
                continue;
            }
            if (!Directory.Exists(target))
            {
                throw new UsageException($"--build-context {value}: {target} is not a directory");
            }
            named[name] = Path.GetFullPath(target);
            local["context:" + name] = Path.GetFullPath(target);
        }
        return (named, local);
    }

    private static bool PlatformIsHost(string text)
    {
        try
        {
            var platform = Platform.Parse(text);
            return platform.Os == Platform.Host.Os && platform.Architecture == Platform.Host.Architecture;
        }
        catch (FormatException e)
        {
            throw new UsageException($"--platform {text}: {e.Message}");
        }
    }

    private static long? SourceDateEpoch() =>
        Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") is { Length: > 0 } text
            ? long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                ? seconds
                : throw new UsageException($"SOURCE_DATE_EPOCH={text} is not a number of seconds")
            : null;

    /// <summary>`build -` has no context: an empty folder under the data root's tmp/ stands in.</summary>
    private static string EmptyContext(StoreSession store)
    {
        var dir = Path.Combine(store.Root.Path, "tmp", "empty-context-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private sealed record BuildRequest
    {
        public required string ContextArgument { get; init; }
        public string? File { get; init; }
        public IReadOnlyList<string> Tags { get; init; } = [];
        public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();
        public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
        public string? Target { get; init; }
        public bool NoCache { get; init; }
        public IReadOnlySet<string> NoCacheFilter { get; init; } = new HashSet<string>();
        public bool Pull { get; init; }
        public string? Platform { get; init; }
        public IReadOnlyList<string> Outputs { get; init; } = [];
        public string? Progress { get; init; }
        public bool Quiet { get; init; }
        public string? IidFile { get; init; }
        public string? MetadataFile { get; init; }
        public IReadOnlyList<string> Secrets { get; init; } = [];
        public IReadOnlyList<string> BuildContexts { get; init; } = [];
        public string? Network { get; init; }
        public IReadOnlyList<string> Allow { get; init; } = [];
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class BuildJson : System.Text.Json.Serialization.JsonSerializerContext;
