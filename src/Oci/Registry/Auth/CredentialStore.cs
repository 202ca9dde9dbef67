using System.Text;
using System.Text.Json;

namespace Builder.Oci.Registry.Auth;

/// <summary>
/// Our own credentials file, written by <c>builder login</c> and read before Docker's: the same
/// <c>auths</c> JSON format as Docker's config.json, at <c>$BUILDER_CONFIG/auth.json</c>, else
/// <c>$XDG_CONFIG_HOME/builder/auth.json</c>, else <c>~/.config/builder/auth.json</c>. Writes are
/// atomic (temp file and rename) and the file is readable by its owner only (0600).
/// </summary>
public sealed class CredentialStore(string path) : ICredentialProvider
{
    private static readonly Lock WriteLock = new();

    public string Path { get; } = path ?? throw new ArgumentNullException(nameof(path));

    public static CredentialStore Default()
    {
        var dir = Environment.GetEnvironmentVariable("BUILDER_CONFIG");
        if (string.IsNullOrEmpty(dir))
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            dir = System.IO.Path.Combine(
                string.IsNullOrEmpty(xdg) ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg,
                "builder");
        }
        return new CredentialStore(System.IO.Path.Combine(dir, "auth.json"));
    }

    /// <summary>The credentials saved for <paramref name="host"/>, or null.</summary>
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

    /// <summary>Saves (or replaces) the credentials of <paramref name="host"/>.</summary>
    public void Save(string host, RegistryCredentials credentials)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentNullException.ThrowIfNull(credentials);
        if (credentials.Username.Contains(':'))
        {
            throw new ArgumentException("a user name must not contain ':'", nameof(credentials));
        }
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Username + ":" + credentials.Password));
        Update(entries => entries[RegistryHostNames.CredentialKey(host)] = encoded);
    }

    /// <summary>Forgets the credentials of <paramref name="host"/>; false when there were none.</summary>
    public bool Remove(string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        var removed = false;
        Update(entries => removed = entries.Remove(RegistryHostNames.CredentialKey(host)));
        return removed;
    }

    private void Update(Action<SortedDictionary<string, string>> change)
    {
        lock (WriteLock)
        {
            var entries = Load();
            change(entries);
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
            Directory.CreateDirectory(dir);
            var temp = System.IO.Path.Combine(dir, $".auth.json.{Guid.NewGuid():N}.tmp");
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (var file = new FileStream(temp, options))
                using (var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteStartObject("auths");
                    foreach (var (key, auth) in entries)
                    {
                        writer.WriteStartObject(key);
                        writer.WriteString("auth", auth);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                    writer.Flush();
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, Path, overwrite: true);
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    private SortedDictionary<string, string> Load()
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(Path))
        {
            return entries;
        }
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path));
        if (document.RootElement.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in auths.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.Object && entry.Value.TryGetProperty("auth", out var auth) && auth.GetString() is { } text)
                {
                    entries[RegistryHostNames.CredentialKey(entry.Name)] = text;
                }
            }
        }
        return entries;
    }
}
