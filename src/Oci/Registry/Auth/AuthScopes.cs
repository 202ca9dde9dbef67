namespace Builder.Oci.Registry.Auth;

/// <summary>
/// The token scopes an operation needs, attached to its request so the authentication handler can
/// ask for a token before the first 401 (saving a round trip) and with push and mount scopes at once.
/// </summary>
public static class AuthScopes
{
    public static readonly HttpRequestOptionsKey<IReadOnlyList<string>> Key = new("Builder.Oci.Registry.Scopes");

    public static string Pull(string repository) => $"repository:{repository}:pull";

    public static string PullPush(string repository) => $"repository:{repository}:pull,push";
}
