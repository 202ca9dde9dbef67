using System.CommandLine;
using System.Text.Json;
using Builder.Build;
using Builder.Cli.Build;
using Builder.Cli.Debug;
using Builder.Cli.Output;
using Builder.Cli.Progress;
using Builder.Cli.Remote;
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
        var onFailure = new Option<string?>("--on-failure") { Description = "When a step fails: keep (default) its state for builder debug, discard it, or shell into it at once" };
        var keepFailedFor = new Option<string?>("--keep-failed-for") { Description = "How long a kept failed state lives, e.g. 30m, 24h, 7d (default: $BUILDER_KEEP_FAILED, else 24h)" };
        var context = new Argument<string>("PATH") { Description = "Build context directory, or - to read the Dockerfile from standard input with no context" };
        var command = new Command("build", "Build an image from a Dockerfile")
        {
            file, tags, buildArgs, target, noCache, noCacheFilter, pull, labels, platform, outputs, progress, quiet,
            iidFile, metadataFile, secrets, buildContexts, network, allow, onFailure, keepFailedFor, context,
        };
        command.SetAction(async (parse, invocationToken) =>
        {
            // Our own SIGINT/SIGTERM handling (Program turns System.CommandLine's off for build): the build
            // must finish cleaning up before the process exits, however long that takes.
            using var interrupt = new BuildInterrupt(cli.Error, invocationToken);
            var cancellationToken = interrupt.Token;
            var request = new BuildRequestArguments
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
                Progress = parse.GetValue(quiet) ? "quiet" : parse.GetValue(progress) ?? Environment.GetEnvironmentVariable("BUILDKIT_PROGRESS") ?? "auto",
                Quiet = parse.GetValue(quiet),
                IidFile = parse.GetValue(iidFile),
                MetadataFile = parse.GetValue(metadataFile),
                Secrets = parse.GetValue(secrets) ?? [],
                BuildContexts = parse.GetValue(buildContexts) ?? [],
                Network = parse.GetValue(network),
                Allow = parse.GetValue(allow) ?? [],
                Debug = parse.GetValue<bool>("--debug"),
                OnFailure = FailurePolicy.Parse(parse.GetValue(onFailure), parse.GetValue(keepFailedFor)),
            };
            if (RemoteOptions.Connect(parse) is { } remote)
            {
                using (remote)
                {
                    return await RemoteBuildCommand.RunAsync(cli, remote, request, cancellationToken).ConfigureAwait(false);
                }
            }
            using var store = StoreSession.Open(parse);
            return await RunAsync(cli, store, request, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, StoreSession store, BuildRequestArguments request, CancellationToken cancellationToken)
    {
        var phases = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string name)
        {
            if (request.Debug)
            {
                cli.Error.WriteLine($"debug: {name} at {phases.Elapsed.TotalMilliseconds:F0} ms (process up {(DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds:F0} ms)");
            }
        }
        Phase("store opened");
        var contextDir = request.ContextArgument == "-" ? EmptyContext(store) : Path.GetFullPath(request.ContextArgument);
        var (source, build, mode) = Prepare(cli, request, contextDir);

        var isTerminal = ReferenceEquals(cli, CliContext.Console) && !Console.IsErrorRedirected;
        await using var renderer = ProgressRendererFactory.Create(mode, cli.Error, isTerminal);
        var solver = new BuildSolver(store.Root, new DeferredExecutor(() => Executors.Create()));
        request.OnFailure.Prepare(solver.Failures);
        var pipeline = new BuildPipeline(store.Images, store.Puller, store.Registry, solver);
        try
        {
            var outcome = await pipeline.RunAsync(build, renderer, cli.StdoutStream, Phase, cancellationToken).ConfigureAwait(false);
            await renderer.FinishAsync(BuildOutcome.Succeeded).ConfigureAwait(false);
            await WriteResultFilesAsync(cli, request, outcome.Image, cancellationToken).ConfigureAwait(false);
            Phase("done");
            return ExitCodes.Success;
        }
        catch (DockerfileException e)
        {
            await renderer.DisposeAsync().ConfigureAwait(false);
            DockerfileErrorPrinter.PrintError(cli.Error, source.DisplayName, source.Text, e);
            return ExitCodes.Failure;
        }
        catch (StepFailedException e)
        {
            await renderer.FinishAsync(BuildOutcome.Failed(e.Failure, e.VertexName)).ConfigureAwait(false);
            return await request.OnFailure.AfterFailureAsync(cli, store, e.Failure, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Every running container is killed and every mount of the build is gone by now.
            await renderer.FinishAsync(BuildOutcome.Canceled).ConfigureAwait(false);
            cli.Error.WriteLine("error: build canceled (interrupted): its running steps were stopped and nothing of them was kept");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>Checks the command line and reads the Dockerfile: the request both the embedded and the remote build run.</summary>
    internal static (DockerfileSource Source, BuildRequest Build, ProgressMode Mode) Prepare(CliContext cli, BuildRequestArguments request, string contextDir)
    {
        if (!Directory.Exists(contextDir))
        {
            throw new UsageException($"the build context {request.ContextArgument} is not a directory");
        }
        var source = DockerfileSource.Read(request.ContextArgument == "-" ? request.File ?? "-" : request.File, contextDir, cli.In);
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
        var network = request.Network switch
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
        var (namedContexts, localContexts) = NamedContexts(request.BuildContexts);
        var build = new BuildRequest
        {
            DockerfileText = source.Text,
            DockerfileName = source.DisplayName,
            ContextDirectory = contextDir,
            ContextExcludes = DockerIgnoreLoader.Load(contextDir, source.Path),
            NamedContexts = namedContexts,
            LocalContexts = localContexts,
            Tags = request.Tags,
            BuildArgs = request.BuildArgs,
            Labels = request.Labels,
            Target = request.Target,
            NoCache = request.NoCache,
            NoCacheFilter = request.NoCacheFilter,
            Pull = request.Pull,
            Outputs = outputs,
            Secrets = SecretArguments.Parse(request.Secrets),
            Network = network,
            Allow = request.Allow.ToHashSet(StringComparer.Ordinal),
            SourceDateEpoch = SourceDateEpoch(),
            KeepFailedState = request.OnFailure.Keep,
        };

        return (source, build, mode);
    }

    internal static async Task WriteResultFilesAsync(CliContext cli, BuildRequestArguments request, ExportResult? image, CancellationToken cancellationToken)
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

    private static (Dictionary<string, string> Named, Dictionary<string, string> Local) NamedContexts(IEnumerable<string> values)
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
            local[name] = Path.GetFullPath(target);
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

    /// <summary>The command line as given, before checks.</summary>
    internal sealed record BuildRequestArguments
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
        public bool Debug { get; init; }
        public required FailurePolicy OnFailure { get; init; }
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class BuildJson : System.Text.Json.Serialization.JsonSerializerContext;
