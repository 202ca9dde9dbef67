using Builder.Corpus.Tests.Cases;
using Builder.Corpus.Tests.Checking;
using Builder.Corpus.Tests.Running;
using Builder.Corpus.Tests.Trees;
using Builder.TestSupport;

namespace Builder.Corpus.Tests;

/// <summary>
/// One build of a corpus case with our builder in a fresh data root, and what came out of it:
/// the local output tree, the OCI archive (config and layers) and the rawjson progress.
/// </summary>
public sealed class CaseRun : IDisposable
{
    private CaseRun(CorpusCase corpusCase, string workDir)
    {
        Case = corpusCase;
        WorkDir = workDir;
        Cli = new BuilderCli(Path.Combine(workDir, "root"));
        ContextDir = corpusCase.PrepareContext(Path.Combine(workDir, "context"));
    }

    public CorpusCase Case { get; }

    public string WorkDir { get; }

    public string ContextDir { get; }

    public BuilderCli Cli { get; }

    public string? BaseImage { get; private set; }

    public string? HttpBase { get; private set; }

    public static async Task<CaseRun> PrepareAsync(string name)
    {
        var corpusCase = CorpusCase.Load(name);
        var run = new CaseRun(corpusCase, Directory.CreateTempSubdirectory($"corpus-{name}-").FullName);
        if (corpusCase.Declares("BASE"))
        {
            run.BaseImage = await BusyboxImage.ReferenceAsync();
        }
        if (corpusCase.Declares("HTTP"))
        {
            run.HttpBase = StaticHttpServer.Instance.BaseUrl;
        }
        return run;
    }

    public BuildInvocation Invocation(IReadOnlyDictionary<string, string>? argOverrides = null) => new()
    {
        Case = Case,
        ContextDir = ContextDir,
        BuildArgs = BuildInvocation.ArgsFor(Case, BaseImage, HttpBase, argOverrides),
        WorkDir = WorkDir,
    };

    /// <summary>Builds into WORKDIR/NAME.local and WORKDIR/NAME.oci.tar.</summary>
    public BuildOutput Build(string name, IReadOnlyDictionary<string, string>? argOverrides = null, bool withOci = true, string progress = "rawjson")
    {
        var local = Path.Combine(WorkDir, name + ".local");
        var oci = withOci ? Path.Combine(WorkDir, name + ".oci.tar") : null;
        var invocation = Invocation(argOverrides);
        var result = Cli.Build(invocation, local, oci, progress);
        return new BuildOutput(result, local, oci, WorkDir, name);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not hide the test's own outcome.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>What one build produced.</summary>
public sealed class BuildOutput(ProcessResult result, string localDir, string? ociArchive, string workDir, string name)
{
    private ImageArchive? _image;
    private FsTree? _local;

    public ProcessResult Result { get; } = result;

    public string LocalDir { get; } = localDir;

    public string? OciArchive { get; } = ociArchive;

    public ProgressLog Progress => ProgressLog.Parse(Result.Out + "\n" + Result.Error);

    public FsTree LocalTree => _local ??= DirectoryTreeReader.Read(LocalDir);

    public ImageArchive Image => _image ??= ImageArchive.Open(
        OciArchive ?? throw new InvalidOperationException("built without an OCI output"),
        Path.Combine(workDir, name + ".oci"));
}
