using System.Text;

namespace Builder.Oci.Registry.Auth;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header: the scheme (Basic or Bearer) and its
/// parameters, e.g. <c>Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push"</c>.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Parameters.GetValueOrDefault("realm");

    public string? Service => Parameters.GetValueOrDefault("service");

    public string? Scope => Parameters.GetValueOrDefault("scope");

    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses the parameter list of a challenge (RFC 7235 auth-params): comma-separated
    /// <c>name=value</c> pairs whose values are tokens or quoted strings with backslash escapes
    /// (quoted values may contain commas, as scopes do). Names are case-insensitive.
    /// </summary>
    public static AuthChallenge Parse(string scheme, string? parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = parameters ?? "";
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i])))
            {
                i++;
            }
            var nameStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',' && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            var name = text[nameStart..i];
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            if (i >= text.Length || text[i] != '=')
            {
                continue; // a bare token (token68) carries nothing we use
            }
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var builder = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    builder.Append(text[i]);
                    i++;
                }
                i++; // closing quote
                value = builder.ToString();
            }
            else
            {
                var valueStart = i;
                while (i < text.Length && text[i] != ',')
                {
                    i++;
                }
                value = text[valueStart..i].Trim();
            }
            if (name.Length > 0)
            {
                result[name] = value;
            }
        }
        return new AuthChallenge(scheme, result);
    }
}
