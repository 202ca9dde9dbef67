using Builder.Server.Protocol;
using Builder.Solver.Sources;

namespace Builder.Server.Context;

/// <summary>
/// Which files of a context copy have arrived while a build already runs: a step that reads the context
/// waits for the files under its source paths only. A path whose fixed part (up to its first wildcard)
/// runs through a symlink of the context may lead anywhere in it, so it waits for every file.
/// </summary>
internal sealed class ContextArrival : IContextAvailability
{
    private readonly string _tree;
    private readonly Dictionary<string, EntryType> _types;
    private readonly Dictionary<string, TaskCompletionSource> _pending;

    /// <param name="tree">The copy's folder, as the build's context directory names it.</param>
    /// <param name="entries">The whole manifest.</param>
    /// <param name="pending">The files still to arrive.</param>
    public ContextArrival(string tree, IEnumerable<ContextEntry> entries, IEnumerable<string> pending)
    {
        _tree = Path.TrimEndingDirectorySeparator(Path.GetFullPath(tree));
        _types = entries.ToDictionary(e => e.Path, e => e.Type, StringComparer.Ordinal);
        _pending = pending.ToDictionary(p => p, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), StringComparer.Ordinal);
    }

    /// <summary>Files still awaited.</summary>
    public int Missing => _pending.Values.Count(p => !p.Task.IsCompleted);

    /// <summary>Marks one file as complete (content, owner, mode and time in place).</summary>
    public void Arrived(string path)
    {
        if (_pending.TryGetValue(path, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>The transfer stopped: whoever still waits gets <paramref name="reason"/>.</summary>
    public void Fail(Exception reason)
    {
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(reason);
        }
    }

    public ValueTask WaitAsync(string directory, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(paths);
        if (!string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)), _tree, StringComparison.Ordinal))
        {
            return ValueTask.CompletedTask;
        }
        var waits = new List<Task>();
        foreach (var path in paths)
        {
            var prefix = FixedPrefix(path);
            foreach (var (file, waiter) in _pending)
            {
                if (!waiter.Task.IsCompleted && (prefix is null || prefix.Length == 0 || Under(file, prefix)))
                {
                    waits.Add(waiter.Task);
                }
            }
        }
        return waits.Count == 0 ? ValueTask.CompletedTask : new ValueTask(Task.WhenAll(waits).WaitAsync(cancellationToken));
    }

    /// <summary>True when <paramref name="file"/> is <paramref name="prefix"/> or lies under it.</summary>
    public static bool Under(string file, string prefix) =>
        file.StartsWith(prefix, StringComparison.Ordinal) && (file.Length == prefix.Length || file[prefix.Length] == '/');

    /// <summary>The path's parts before its first wildcard, '/'-joined ("" for all of it); null when a symlink lies on the way.</summary>
    private string? FixedPrefix(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var prefix = "";
        foreach (var part in parts)
        {
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                return ""; // not cleaned: no telling what it reads
            }
            if (part.AsSpan().IndexOfAny("*?[\\") >= 0)
            {
                break;
            }
            prefix = prefix.Length == 0 ? part : prefix + "/" + part;
            if (_types.TryGetValue(prefix, out var type) && type == EntryType.Symlink)
            {
                return null;
            }
        }
        return prefix;
    }
}
