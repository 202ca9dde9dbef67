namespace Builder.Oci.Registry.Auth;

/// <summary>A user name and password (or token used as password) for one registry host.</summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    /// <summary>Keeps the password out of logs and exception messages.</summary>
    public override string ToString() => $"RegistryCredentials {{ Username = {Username}, Password = *** }}";
}

/// <summary>Finds the credentials that belong to a registry host (host or host:port).</summary>
public interface ICredentialProvider
{
    /// <summary>The credentials stored for <paramref name="host"/>, or null for anonymous access.</summary>
    RegistryCredentials? GetCredentials(string host);
}

/// <summary>Asks several providers in order; the first that knows the host wins.</summary>
public sealed class CredentialChain(params IReadOnlyList<ICredentialProvider> providers) : ICredentialProvider
{
    public RegistryCredentials? GetCredentials(string host)
    {
        foreach (var provider in providers)
        {
            if (provider.GetCredentials(host) is { } credentials)
            {
                return credentials;
            }
        }
        return null;
    }

    /// <summary>Our own store (<c>builder login</c>) first, then Docker's config.json.</summary>
    public static CredentialChain Default() => new(CredentialStore.Default(), DockerConfigCredentials.Default());
}

/// <summary>No credentials for any host.</summary>
public sealed class AnonymousCredentials : ICredentialProvider
{
    public static AnonymousCredentials Instance { get; } = new();

    public RegistryCredentials? GetCredentials(string host) => null;
}
