using Builder.Frontend.Parser;

namespace Builder.Frontend.Conversion;

/// <summary>
/// Converts a parsed Dockerfile into the build definition for one target: the DAG of ops the
/// solver runs, plus the image config of every stage the target needs. Only the stages the
/// target depends on are converted.
/// </summary>
public static class DockerfileConverter
{
    /// <summary>
    /// Converts <paramref name="ast"/>. Throws <see cref="DockerfileException"/> for every
    /// problem in the Dockerfile or the options (unknown target, bad build arg use...).
    /// </summary>
    public static Task<ConversionResult> ConvertAsync(DockerfileAst ast, ConvertOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ast);
        ArgumentNullException.ThrowIfNull(options);
        return new Conversion(ast, options).RunAsync(cancellationToken);
    }
}
