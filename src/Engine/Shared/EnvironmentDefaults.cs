namespace Builder.Engine.Wire;

/// <summary>PATH and HOME as Docker sets them when the image and the caller do not.</summary>
internal static class EnvironmentDefaults
{
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static string[] Apply(IReadOnlyList<string> env, ResolvedUser user)
    {
        var result = new List<string>(env);
        if (!env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
        {
            result.Add("PATH=" + DefaultPath);
        }
        if (!env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
        {
            result.Add("HOME=" + user.Home);
        }
        return result.ToArray();
    }
}
