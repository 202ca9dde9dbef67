using Builder.Oci.Image;

namespace Builder.Build;

/// <summary>
/// Makes the config's history agree with the layers: a base image may carry fewer history entries
/// than layers (images made without history), and the OCI spec wants one non-empty entry per
/// layer. Missing entries are added at the front, as BuildKit does.
/// </summary>
public static class ImageHistory
{
    public static ImageConfig Reconcile(ImageConfig config, int layers)
    {
        var withLayer = config.History.Count(h => h.EmptyLayer != true);
        if (withLayer >= layers)
        {
            return config;
        }
        var padding = Enumerable.Range(0, layers - withLayer).Select(_ => new HistoryEntry { CreatedBy = "", Comment = "added by builder: the base image has no history for this layer" });
        return config with { History = padding.Concat(config.History).ToArray() };
    }
}
