using System.Collections.Concurrent;
using Builder.Oci.Image;
using Builder.Oci.References;

namespace Builder.Solver.Sources;

/// <summary>
/// One build's view of its base images: each (reference, platform) is resolved once, so the
/// frontend (which needs the config) and the solver (which needs the layers) see the same digest
/// even if the tag moves during the build.
/// </summary>
public sealed class MemoizedImageSource(IImageSource inner) : IImageSource
{
    private readonly ConcurrentDictionary<string, Lazy<Task<SourceImage>>> _images = new();

    public Task<SourceImage> GetAsync(ImageReference reference, Platform platform, PullPolicy policy, Action<string>? warn, CancellationToken cancellationToken)
    {
        var key = reference + "|" + platform;
        var lazy = _images.GetOrAdd(key, _ => new Lazy<Task<SourceImage>>(() => inner.GetAsync(reference, platform, policy, warn, cancellationToken)));
        var task = lazy.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // A failure is not remembered: the next caller tries again.
            _images.TryRemove(new KeyValuePair<string, Lazy<Task<SourceImage>>>(key, lazy));
        }
        return task;
    }
}
