using System.Formats.Tar;
using Builder.Exporter.Outputs;

namespace Builder.Cli.Remote;

/// <summary>
/// The one docker/oci/tar/local output of a remote build, written on this machine as its bytes arrive:
/// a file goes to a temporary name beside its destination and is renamed when the build succeeds; a
/// directory output (local, oci without tar) arrives as a tar, kept in a temporary file and unpacked
/// into the destination at the end; <c>dest=-</c> is standard output.
/// </summary>
internal sealed class ClientOutput : IAsyncDisposable
{
    private readonly string? _temp;
    private readonly string? _destination;
    private readonly bool _unpack;
    private bool _completed;

    private ClientOutput(Stream stream, string? temp, string? destination, bool unpack)
    {
        Stream = stream;
        _temp = temp;
        _destination = destination;
        _unpack = unpack;
    }

    public Stream Stream { get; }

    /// <summary>The writer for the first output written on the client, or null when every output stays on the server.</summary>
    public static ClientOutput? For(IEnumerable<OutputSpec> outputs, CliContext cli)
    {
        var spec = outputs.FirstOrDefault(o => o.Type is OutputType.Docker or OutputType.Oci or OutputType.Tar or OutputType.Local);
        if (spec is null)
        {
            return null;
        }
        var unpack = spec.Type == OutputType.Local || (spec.Type == OutputType.Oci && !spec.Tar);
        if (spec.Dest is null or "-")
        {
            if (unpack)
            {
                throw new UsageException($"--output type={spec.Type.ToString().ToLowerInvariant()} needs dest=DIRECTORY");
            }
            cli.Out.Flush();
            return new ClientOutput(cli.StdoutStream, null, null, false);
        }
        var destination = Path.GetFullPath(spec.Dest);
        var folder = unpack ? Path.GetTempPath() : Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(destination)}.{Guid.NewGuid():N}.partial");
        return new ClientOutput(new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16), temp, destination, unpack);
    }

    /// <summary>Puts the output in place (after a successful build).</summary>
    public async Task CompleteAsync()
    {
        if (_temp is null)
        {
            await Stream.FlushAsync().ConfigureAwait(false);
            _completed = true;
            return;
        }
        await Stream.DisposeAsync().ConfigureAwait(false);
        if (_unpack)
        {
            Directory.CreateDirectory(_destination!);
            await TarFile.ExtractToDirectoryAsync(_temp, _destination!, overwriteFiles: true).ConfigureAwait(false);
            File.Delete(_temp);
        }
        else
        {
            File.Move(_temp, _destination!, overwrite: true);
        }
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_temp is null)
        {
            return;
        }
        await Stream.DisposeAsync().ConfigureAwait(false);
        if (!_completed)
        {
            File.Delete(_temp);
        }
    }
}
