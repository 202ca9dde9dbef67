namespace Builder.Exporter.Archives;

/// <summary>
/// Where an export goes: a file or directory that appears only when complete (written under a temp
/// name beside it, then renamed), or a caller's stream for <c>dest=-</c>.
/// </summary>
public sealed class OutputTarget
{
    private readonly string? _path;
    private readonly Stream? _stream;

    private OutputTarget(string? path, Stream? stream)
    {
        _path = path;
        _stream = stream;
    }

    /// <summary><paramref name="dest"/> is a path, or <c>-</c> for <paramref name="stdout"/>.</summary>
    public static OutputTarget Parse(string dest, Stream stdout)
    {
        ArgumentException.ThrowIfNullOrEmpty(dest);
        ArgumentNullException.ThrowIfNull(stdout);
        return dest == "-" ? new OutputTarget(null, stdout) : File(dest);
    }

    public static OutputTarget File(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new OutputTarget(System.IO.Path.GetFullPath(path), null);
    }

    public static OutputTarget ToStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return stream.CanWrite ? new OutputTarget(null, stream) : throw new ArgumentException("the output stream is not writable", nameof(stream));
    }

    /// <summary>The final path, or null for a stream.</summary>
    public string? Path => _path;

    /// <summary>Runs <paramref name="write"/> on the target stream; for a file, publishes it by rename only when it returns.</summary>
    public async Task WriteAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (_stream is not null)
        {
            await write(_stream, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        var temp = TempNameFor(_path!);
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            System.IO.File.Move(temp, _path!, overwrite: true);
        }
        catch
        {
            System.IO.File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Fills a temp directory beside the target, then renames it into place. The target must be absent or
    /// an empty directory: merging into an existing tree could leave a mix of old and new.
    /// </summary>
    public async Task WriteDirectoryAsync(Func<string, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (_path is null)
        {
            throw new InvalidOperationException("a directory output cannot go to a stream (dest=- needs a tar output)");
        }
        ThrowIfOccupied(_path);
        var temp = TempNameFor(_path);
        Directory.CreateDirectory(temp);
        try
        {
            await write(temp, cancellationToken).ConfigureAwait(false);
            ThrowIfOccupied(_path);
            if (Directory.Exists(_path))
            {
                Directory.Delete(_path);
            }
            Directory.Move(temp, _path);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static void ThrowIfOccupied(string path)
    {
        if (System.IO.File.Exists(path) || (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()))
        {
            throw new IOException($"cannot write to {path}: it exists and is not an empty directory");
        }
    }

    /// <summary>A hidden name in the same directory, so the final rename stays on one filesystem (atomic).</summary>
    private static string TempNameFor(string path)
    {
        var dir = System.IO.Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        return System.IO.Path.Combine(dir, "." + System.IO.Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N")[..12]);
    }
}
