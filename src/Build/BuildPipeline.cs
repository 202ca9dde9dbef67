using Builder.Exporter.Outputs;
using Builder.Exporter.Store;
using Builder.Frontend.Conversion;
using Builder.Frontend.Parser;
using Builder.Oci.Registry;
using Builder.Solver;
using Builder.Solver.Execution;
using Builder.Solver.Progress;
using Builder.Solver.Scheduling;
using Builder.Solver.Sources;
using NetworkMode = Builder.Solver.Definition.NetworkMode;

namespace Builder.Build;

/// <summary>What a build produced: the solve's id and the result of the first image output (for the image id and metadata).</summary>
public sealed record BuildOutcomeResult(string BuildId, ExportResult? Image, IReadOnlyList<ExportResult> Exports);

/// <summary>
/// The build from Dockerfile to outputs: the frontend converts (resolving base images through the
/// store), the solver runs, the exporters write. The CLI runs it in-process; the server runs the
/// same pipeline for remote clients, sharing one <see cref="BuildSolver"/> so concurrent builds
/// dedupe their work.
/// </summary>
public sealed class BuildPipeline
{
    private readonly ImageStore _images;
    private readonly IImageSource _imageSource;
    private readonly RegistryClient? _registry;
    private readonly BuildSolver _solver;

    public BuildPipeline(ImageStore images, IImageSource imageSource, RegistryClient? registry, BuildSolver solver)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(imageSource);
        ArgumentNullException.ThrowIfNull(solver);
        _images = images;
        _imageSource = imageSource;
        _registry = registry;
        _solver = solver;
    }

    public BuildSolver Solver => _solver;

    /// <summary>
    /// Runs the build. Throws <see cref="Frontend.DockerfileException"/> for a bad Dockerfile (before anything
    /// runs), <see cref="StepFailedException"/> for a failed step or export, and
    /// <see cref="OperationCanceledException"/> when cancelled. <paramref name="stdout"/> receives <c>dest=-</c> outputs.
    /// </summary>
    public async Task<BuildOutcomeResult> RunAsync(BuildRequest request, IProgressSink progress, Stream stdout, Action<string>? phase, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(stdout);
        void Warn(string text) => progress.Report(new BuildMessage(DateTimeOffset.UtcNow, MessageLevel.Warning, text));
        var policy = request.Pull ? PullPolicy.Always : PullPolicy.Default;
        var images = new MemoizedImageSource(_imageSource);

        var ast = DockerfileParser.Parse(request.DockerfileText);
        var conversion = await DockerfileConverter.ConvertAsync(ast, new ConvertOptions
        {
            DockerfileName = request.DockerfileName,
            Target = request.Target,
            BuildArgs = request.BuildArgs,
            Labels = request.Labels,
            ContextExcludes = request.ContextExcludes,
            NamedContexts = request.NamedContexts,
            NoCache = request.NoCache,
            NoCacheFilter = request.NoCacheFilter,
            ImageResolver = new FrontendImageResolver(images, policy, Warn),
        }, cancellationToken).ConfigureAwait(false);
        phase?.Invoke("converted (base images resolved)");
        foreach (var warning in conversion.Warnings)
        {
            Warn($"{request.DockerfileName}:{warning.StartLine}: {warning.Message} ({warning.Rule})");
        }

        var localDirs = request.LocalContexts.ToDictionary(c => "context:" + c.Key, c => c.Value, StringComparer.Ordinal);
        localDirs["context"] = request.ContextDirectory;
        SolveResult solved;
        try
        {
            solved = await _solver.SolveAsync(conversion.Definition, new SolveOptions
            {
                LocalDirs = localDirs,
                Images = images,
                PullPolicy = policy,
                NoCache = request.NoCache,
                DefaultNetwork = request.Network,
                AllowNetworkHost = request.Network == NetworkMode.Host || request.Allow.Contains("network.host"),
                AllowInsecure = request.Allow.Contains("security.insecure"),
                Secrets = request.Secrets,
                SourceFile = request.DockerfileName,
                SourceLines = request.DockerfileText.Split('\n'),
                KeepFailedState = request.KeepFailedState,
            }, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (StepFailedException e) when (e.Failure.KeptStateId is { } kept && request.Tags.Count > 0)
        {
            // builder debug ls names a kept failure by its build's -t names, for local and server builds alike.
            var names = request.Tags.Select(t => Oci.References.ImageReference.TryParse(t, out var name, out _) ? name.ToString() : t).ToList();
            _solver.History.Finish(_solver.Failures.Find(kept).BuildId, "failed", names);
            throw;
        }
        phase?.Invoke("solved");

        var config = ImageHistory.Reconcile(conversion.Image, solved.Layers.Count);
        var result = new BuildResult(solved.Layers, solved.TopSnapshot, config, request.Tags);
        var exporter = new ImageExporter(_images, _registry, stdout);
        var outputs = request.Outputs.Count > 0 ? request.Outputs : [OutputSpec.Parse("type=image")];
        var exports = new List<ExportResult>();
        var number = solved.LastNumber;
        foreach (var output in outputs)
        {
            exports.Add(await ExportAsync(progress, exporter, output, result, request.SourceDateEpoch, ++number, cancellationToken).ConfigureAwait(false));
        }
        var image = exports.FirstOrDefault(e => e.ConfigDigest is not null);
        _solver.History.Finish(solved.BuildId, "succeeded", image?.ImageNames);
        phase?.Invoke("exported");
        return new BuildOutcomeResult(solved.BuildId, image, exports);
    }

    /// <summary>Runs one export as its own progress vertex, so its time shows and its failure reads like a step's.</summary>
    private static async Task<ExportResult> ExportAsync(IProgressSink progress, ImageExporter exporter, OutputSpec output, BuildResult result, long? epoch, int number, CancellationToken cancellationToken)
    {
        var name = output.Type switch
        {
            OutputType.Image => "exporting to image",
            OutputType.Registry => "exporting to image and pushing",
            var t => $"exporting to {t.ToString().ToLowerInvariant()}" + (output.Dest is { } d ? $" ({(d == "-" ? "stdout" : d)})" : ""),
        };
        var id = "export:" + number;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        progress.Report(new VertexStatus(DateTimeOffset.UtcNow, id, number, name, VertexState.Running));
        try
        {
            var exported = await exporter.ExportAsync(output, result, epoch, cancellationToken).ConfigureAwait(false);
            progress.Report(new VertexStatus(DateTimeOffset.UtcNow, id, number, name, VertexState.Done, clock.Elapsed));
            return exported;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException or ArgumentException or UnauthorizedAccessException
            or RegistryException or HttpRequestException or FormatException or ImagePullException)
        {
            var failure = new StepFailure($"{name}: {e.Message}");
            progress.Report(new VertexStatus(DateTimeOffset.UtcNow, id, number, name, VertexState.Failed, clock.Elapsed, failure));
            throw new StepFailedException(name, failure, e);
        }
    }
}
