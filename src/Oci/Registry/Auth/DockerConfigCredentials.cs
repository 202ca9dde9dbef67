using System.Text;
using System.Text.Json;

namespace Builder.Oci.Registry.Auth;

/// <summary>
/// Reads credentials from Docker's <c>config.json</c> (<c>auths.&lt;host&gt;.auth</c> = base64 of
/// <c>user:password</c>, or <c>username</c>/<c>password</c> fields). The file is read on each lookup
/// so a login made while we run is seen. Credential helpers (<c>credsStore</c>) are not run.
/// </summary>
public sealed class DockerConfigCredentials(string path) : ICredentialProvider
{
    /// <summary>The config file this provider reads.</summary>
    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    /// <summary><c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.</summary>
    public static DockerConfigCredentials Default()
    {
        var dir = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
        if (string.IsNullOrEmpty(dir))
        {
            dir = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        }
        return new DockerConfigCredentials(System.IO.Path.Combine(dir, "config.json"));
    }

    public RegistryCredentials? GetCredentials(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (!File.Exists(Path))
        {
            return null;
        }
        using var stream = File.OpenRead(Path);
        return AuthsFile.Find(stream, RegistryHostNames.CredentialKey(host), Path);
    }
}

/// <summary>The <c>{"auths": {"host": {"auth": "base64(user:pass)"}}}</c> format Docker and we share.</summary>
internal static class AuthsFile
{
    public static RegistryCredentials? Find(Stream json, string key, string pathForErrors)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{pathForErrors}: invalid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("auths", out var auths)
                || auths.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            foreach (var entry in auths.EnumerateObject())
            {
                if (RegistryHostNames.CredentialKey(entry.Name) == key && entry.Value.ValueKind == JsonValueKind.Object)
                {
                    return Decode(entry.Value, entry.Name, pathForErrors);
                }
            }
            return null;
        }
    }

    private static RegistryCredentials? Decode(JsonElement entry, string name, string pathForErrors)
    {
        if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{pathForErrors}: auths.{name}.auth is not valid base64", e);
            }
            var colon = decoded.IndexOf(':');
            return colon > 0
                ? new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..])
                : throw new InvalidDataException($"{pathForErrors}: auths.{name}.auth does not decode to user:password");
        }
        if (entry.TryGetProperty("username", out var user) && entry.TryGetProperty("password", out var password)
            && user.GetString() is { Length: > 0 } u && password.GetString() is { } p)
        {
            return new RegistryCredentials(u, p);
        }
        return null;
    }
}
