using Builder.Snapshotter.Context;
using Builder.Snapshotter.Layers.Apply;
using Builder.Snapshotter.Native;
using Builder.Snapshotter.Paths;
using Microsoft.Win32.SafeHandles;

namespace Builder.Snapshotter.FileOps;

/// <summary>
/// COPY, ADD, WORKDIR (mkdir -p), heredoc files (write) and removal on a mounted active snapshot, with
/// Docker/BuildKit semantics. Every destination path is resolved inside the target root (openat2
/// RESOLVE_IN_ROOT), so a symlink in the image can never send a write to the host.
/// </summary>
public sealed class FileOperations : IDisposable
{
    private readonly RootedDirectory _root;

    /// <param name="targetRoot">Host path of the mounted active snapshot (the container's '/').</param>
    public FileOperations(string targetRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetRoot);
        _root = RootedDirectory.Open(targetRoot);
    }

    /// <summary>Copies (or for ADD, extracts) the request's sources into the target.</summary>
    public void Copy(CopyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Sources.Count == 0)
        {
            throw new ArgumentException("no source files were specified", nameof(request));
        }
        var owner = request.Chown is { } chown ? OwnerSpec.Resolve(chown, _root) : request.SourceIsContext ? (0, 0) : ((int, int)?)null;
        var mode = request.Chmod is { } chmod ? FileModeSpec.Parse(chmod) : null;
        var excludes = request.Excludes.Count > 0 ? new PatternMatcher(request.Excludes) : null;
        var contextExcludes = request.ContextExcludes.Count > 0 ? new PatternMatcher(request.ContextExcludes) : null;

        var matches = new List<SourcePath.Match>();
        foreach (var source in request.Sources)
        {
            var found = SourcePath.Expand(request.SourceRoot, source);
            if (contextExcludes is not null)
            {
                found.RemoveAll(m => m.RelativePath.Length > 0 && contextExcludes.Excludes(m.RelativePath)
                    && !(Directory.Exists(m.HostPath) && contextExcludes.MayReincludeBelow(m.RelativePath)));
            }
            if (found.Count == 0)
            {
                throw new FileNotFoundException(SourcePath.HasWildcards(source)
                    ? $"no source files match '{source}'"
                    : $"source '{source}' not found in the build context or stage");
            }
            matches.AddRange(found);
        }

        var destText = request.Destination.StartsWith('/') ? request.Destination : request.WorkingDirectory.TrimEnd('/') + "/" + request.Destination;
        var destIsDir = destText.EndsWith('/') || destText.EndsWith("/.", StringComparison.Ordinal) || request.Parents;
        var dest = ContainedPath.CleanClamped(destText);
        if (!destIsDir && IsDirectoryInRoot(dest))
        {
            destIsDir = true; // an existing directory, also through a symlink (followed inside the root), as Docker does
        }
        if (matches.Count > 1 && !destIsDir)
        {
            throw new InvalidOperationException("When using COPY with more than one source file, the destination must be a directory and end with a /");
        }

        Action<DirFd, string>? chownCreated = owner is { } o
            ? (dir, name) => Syscalls.Fchownat(dir.Value, name, o.Item1, o.Item2, Syscalls.AtSymlinkNoFollow)
            : null;
        var excluder = excludes is null ? null : (Func<string, bool>)excludes.Excludes;
        // With context excludes the copier sees context-relative paths (each match's path as the base);
        // --exclude patterns still apply relative to the source being copied.
        var matchBase = "";
        string SourceRelative(string path) => matchBase.Length == 0 ? path : path.Length > matchBase.Length ? path[(matchBase.Length + 1)..] : "";
        Func<string, bool>? copyExcluder = contextExcludes is null
            ? excluder
            : path => contextExcludes.Excludes(path) || (excludes is not null && SourceRelative(path) is { Length: > 0 } r && excludes.Excludes(r));
        Func<string, bool>? mayReinclude = contextExcludes is null
            ? excludes is { HasExceptions: true } ? excludes.MayReincludeBelow : null
            : path => (contextExcludes.HasExceptions && contextExcludes.MayReincludeBelow(path))
                || (excludes is { HasExceptions: true } && SourceRelative(path) is { Length: > 0 } r && excludes.MayReincludeBelow(r));
        var options = new CopyOptions
        {
            Owner = owner,
            Mode = mode is null ? null : mode.Apply,
            ChownCreated = chownCreated,
            Excludes = copyExcluder,
            MayReincludeBelow = mayReinclude,
        };
        // One copier for the whole instruction: hardlinks between its sources stay hardlinks.
        var copier = new TreeCopier(_root, options);
        foreach (var match in matches)
        {
            Errno.Check(Syscalls.Statx(Syscalls.AtFdCwd, match.HostPath, Syscalls.AtSymlinkNoFollow, out var st), "lstat", match.HostPath);
            var target = dest;
            if (request.Parents)
            {
                target = ContainedPath.Join(dest, ParentsPath(match.RelativePath, match.Pattern));
            }
            if (request.ExtractArchives && st.IsRegular && TryExtract(match.HostPath, request.Parents ? ContainedPath.Split(target).Parent : dest, owner, chownCreated))
            {
                continue;
            }
            matchBase = contextExcludes is null || match.RelativePath == "." ? "" : match.RelativePath;
            if (st.IsDirectory)
            {
                // A directory source copies its contents (the directory itself is not recreated under dest).
                copier.CopyContents(match.HostPath, target, matchBase);
                continue;
            }
            if (excluder is not null && excluder(Path.GetFileName(match.RelativePath)))
            {
                continue;
            }
            if (destIsDir && !request.Parents)
            {
                target = ContainedPath.Join(dest, Path.GetFileName(match.HostPath));
            }
            if (target.Length == 0)
            {
                throw new InvalidOperationException($"cannot copy file '{match.RelativePath}' over the root directory");
            }
            copier.Copy(match.HostPath, target, matchBase);
        }
    }

    private bool IsDirectoryInRoot(string relative)
    {
        var fd = _root.TryOpenDirectory(relative);
        if (fd < 0)
        {
            return false;
        }
        Syscalls.Close(fd);
        return true;
    }

    /// <summary>mkdir (-p with <paramref name="parents"/>) with mode and owner: WORKDIR and RUN --mount targets.</summary>
    public void Mkdir(string path, uint mode = 0x1ED, string? owner = null, bool parents = true)
    {
        var cleaned = ContainedPath.CleanClamped(path);
        var o = owner is null ? ((int, int)?)null : OwnerSpec.Resolve(owner, _root);
        Action<DirFd, string> fix = (dir, name) =>
        {
            Syscalls.Fchmodat(dir.Value, name, mode, 0);
            if (o is { } ids)
            {
                Syscalls.Fchownat(dir.Value, name, ids.Item1, ids.Item2, Syscalls.AtSymlinkNoFollow);
            }
        };
        if (!parents)
        {
            using var parent = _root.OpenParent(cleaned, out var name, create: false);
            if (Syscalls.Mkdirat(parent.Value, name, mode) < 0)
            {
                throw Errno.Exception(Errno.Last, "mkdir", _root.Describe(cleaned));
            }
            fix(parent, name);
            return;
        }
        using var _ = _root.MakeDirectories(cleaned, fix, mode);
    }

    /// <summary>Writes a file (a heredoc, a generated file) replacing whatever is at <paramref name="path"/>.</summary>
    public void WriteFile(string path, Stream content, uint mode = 0x1A4, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        var cleaned = ContainedPath.CleanClamped(path);
        if (cleaned.Length == 0)
        {
            throw new ArgumentException("cannot write a file over the root directory", nameof(path));
        }
        var o = owner is null ? (0, 0) : OwnerSpec.Resolve(owner, _root);
        using var parent = _root.OpenParent(cleaned, out var name, create: true);
        RootedDirectory.RemoveAt(parent.Value, name, _root.Describe(cleaned));
        var fd = Syscalls.Openat(parent.Value, name, Syscalls.OWrOnly | Syscalls.OCreat | Syscalls.OExcl | Syscalls.ONoFollow | Syscalls.OCloExec, 0x180);
        Errno.Check(fd, "create", _root.Describe(cleaned));
        using var file = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write);
        content.CopyTo(file);
        Errno.Check(Syscalls.Fchown(fd, o.Item1, o.Item2), "chown", _root.Describe(cleaned));
        Errno.Check(Syscalls.Fchmod(fd, mode), "chmod", _root.Describe(cleaned));
    }

    /// <summary>rm -rf of <paramref name="path"/> inside the target; a missing path is an error unless allowed.</summary>
    public void Remove(string path, bool allowNotFound = false)
    {
        var cleaned = ContainedPath.CleanClamped(path);
        if (!allowNotFound && !_root.TryLstat(cleaned, out _))
        {
            throw new FileNotFoundException($"cannot remove '{path}': no such file or directory");
        }
        _root.RemoveAll(cleaned);
    }

    private bool TryExtract(string hostPath, string destDir, (int, int)? owner, Action<DirFd, string>? chownCreated)
    {
        if (!IsTarArchive(hostPath))
        {
            return false;
        }
        using var file = File.OpenRead(hostPath);
        using var tar = Decompression.Open(file, out _);
        using var dest = _root.OpenSubRoot(destDir, chownCreated);
        new Layers.Apply.LayerApplier(dest, ApplyMode.Plain, owner).Apply(tar);
        return true;
    }

    /// <summary>True when the file (after decompression, if compressed) starts with a valid tar header.</summary>
    internal static bool IsTarArchive(string hostPath)
    {
        try
        {
            using var file = File.OpenRead(hostPath);
            using var stream = Decompression.Open(file, out _);
            var header = new byte[512];
            var n = 0;
            while (n < 512)
            {
                var r = stream.Read(header, n, 512 - n);
                if (r == 0)
                {
                    return false;
                }
                n += r;
            }
            long stored = 0;
            foreach (var b in header.AsSpan(148, 8))
            {
                if (b is >= (byte)'0' and <= (byte)'7')
                {
                    stored = (stored << 3) + (b - '0');
                }
            }
            long sum = 0;
            for (var i = 0; i < 512; i++)
            {
                sum += i is >= 148 and < 156 ? (byte)' ' : header[i];
            }
            return stored != 0 && sum == stored;
        }
        catch (InvalidDataException)
        {
            return false; // compressed, but not a stream we can read: copied as a file
        }
    }

    /// <summary>--parents: the source's path as written, below a "/./" pivot when its pattern has one.</summary>
    private static string ParentsPath(string relative, string pattern)
    {
        var pivot = pattern.IndexOf("/./", StringComparison.Ordinal);
        if (pivot >= 0)
        {
            var prefix = ContainedPath.CleanClamped(pattern[..pivot]);
            if (prefix.Length > 0 && relative.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                return relative[(prefix.Length + 1)..];
            }
        }
        return relative;
    }

    public void Dispose() => _root.Dispose();
}
