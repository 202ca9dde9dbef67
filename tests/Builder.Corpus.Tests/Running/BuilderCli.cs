using Builder.TestSupport;

namespace Builder.Corpus.Tests.Running;

/// <summary>
/// Runs the builder as a user would: the repository's <c>./builder</c> entry script (which
/// publishes the CLI when sources changed), with its own data root.
/// </summary>
public sealed class BuilderCli(string dataRoot)
{
    public string DataRoot { get; } = dataRoot;

    public static string EntryScript => Path.Combine(SharedData.RepoRoot, "builder");

    /// <summary>
    /// `builder --root ROOT build --progress PROGRESS FLAGS -o type=local,dest=LOCAL -o type=oci,dest=OCI CONTEXT`.
    /// </summary>
    public ProcessResult Build(BuildInvocation build, string? localDest, string? ociDest, string progress = "rawjson")
    {
        var args = new List<string> { "--root", DataRoot, "build", "--progress", progress };
        args.AddRange(build.CommonFlags());
        if (localDest is not null)
        {
            args.AddRange(["-o", $"type=local,dest={localDest}"]);
        }
        if (ociDest is not null)
        {
            args.AddRange(["-o", $"type=oci,dest={ociDest}"]);
        }
        args.Add(build.ContextDir);
        return ProcessRunner.Run(EntryScript, args, build.Environment, TimeSpan.FromMinutes(10));
    }
}
