using Builder.Frontend.Conversion;
using Builder.Oci.Image;
using Builder.Oci.References;
using Builder.Solver.Sources;

namespace Builder.Build;

/// <summary>Lets the frontend read base images' configs through the build's image source, so both see one digest.</summary>
public sealed class FrontendImageResolver(IImageSource images, PullPolicy policy, Action<string> warn) : IImageResolver
{
    public async Task<ResolvedImage> ResolveAsync(ImageReference reference, Platform platform, CancellationToken cancellationToken)
    {
        var image = await images.GetAsync(reference, platform, policy, warn, cancellationToken).ConfigureAwait(false);
        return new ResolvedImage(image.Reference, image.ManifestDigest, image.Config);
    }
}
